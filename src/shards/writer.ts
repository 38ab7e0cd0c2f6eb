/**
 * The write stage: packed rows → shards. Rows are gathered until a shard reaches its row or byte cap,
 * then written in every configured format under a temporary name, hashed, and renamed — a crash never
 * leaves a half shard under a final name. Each finished shard is recorded for index.json.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackedRow, SpecialIds } from '../model.js';
import type { Rng } from '../rng.js';
import { ShardloomError } from '../errors.js';
import { v2pePositions, drawV2peDelta } from '../pack/v2pe.js';
import { rowsToTable, type ShardRow } from './arrow-table.js';
import { writeArrowShard, writeParquetShard } from './parquet-io.js';

export type ShardFormat = 'parquet' | 'arrow';

export interface ShardFile {
  /** Path relative to the output directory. */
  path: string;
  format: ShardFormat;
  bytes: number;
  sha256: string;
}

export interface ShardRecord {
  index: number;
  rows: number;
  tokens: number;
  tiles: number;
  samples: number;
  tokensBySource: Record<string, number>;
  files: ShardFile[];
}

export interface ShardWriterOptions {
  dir: string;
  /** File name stem, e.g. `part` → part-00000.parquet. */
  prefix: string;
  formats: ShardFormat[];
  maxRows: number;
  maxBytes: number;
  rowGroupRows: number;
  compression: 'zstd' | 'snappy' | 'none';
  metadata: Record<string, string>;
  special: SpecialIds;
  stride: number | number[];
  rng: Rng;
  /** Called after each shard is final (also for shards kept from an earlier, interrupted run). */
  onShard?: (s: ShardRecord, reused: boolean) => void | Promise<void>;
  /** Shards already written and verified by an earlier run (resume): replayed, not rewritten. */
  kept?: ShardRecord[];
}

export class ShardWriter {
  private rows: ShardRow[] = [];
  private bytes = 0;
  private next = 0;
  readonly shards: ShardRecord[] = [];

  constructor(private readonly opts: ShardWriterOptions) {}

  async add(row: PackedRow): Promise<void> {
    const r = toShardRow(row, this.opts);
    this.rows.push(r);
    this.bytes += r.inputIds.byteLength * 2 + r.tiles.reduce((a, t) => a + t.byteLength, 0);
    if (this.rows.length >= this.opts.maxRows || this.bytes >= this.opts.maxBytes) await this.flush();
  }

  /** Drop the rows gathered for the current shard (on interruption: a partial shard is never written). */
  discard(): number {
    const n = this.rows.length;
    this.rows = [];
    this.bytes = 0;
    return n;
  }

  /** Write what is gathered as a shard (no-op when empty). */
  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    this.bytes = 0;
    const index = this.next++;
    const kept = this.opts.kept?.[index];
    if (kept) {
      // The stream is deterministic, so a replayed shard must have the rows the journal says.
      const rec = summarize(index, rows, kept.files);
      if (rec.rows !== kept.rows || rec.tokens !== kept.tokens) {
        throw new ShardloomError('OUTPUT_CONFLICT', `resume: shard ${index} replays with ${rec.rows} rows / ${rec.tokens} tokens but was written with ${kept.rows} / ${kept.tokens} — the inputs changed since the run started; rerun with --overwrite`);
      }
      this.shards.push(kept);
      await this.opts.onShard?.(kept, true);
      return;
    }
    const table = rowsToTable(rows, this.opts.metadata);
    const files: ShardFile[] = [];
    try {
      for (const format of this.opts.formats) {
        const name = `${this.opts.prefix}-${String(index).padStart(5, '0')}.${format}`;
        files.push(await this.writeOne(table, name, format));
      }
    } catch (e) {
      // A shard is all its formats or nothing: remove the formats already renamed.
      for (const f of files) await unlink(join(this.opts.dir, f.path)).catch(() => undefined);
      throw e;
    }
    const rec = summarize(index, rows, files);
    this.shards.push(rec);
    await this.opts.onShard?.(rec, false);
  }

  private async writeOne(table: ReturnType<typeof rowsToTable>, name: string, format: ShardFormat): Promise<ShardFile> {
    const final = join(this.opts.dir, name);
    const tmp = final + '.tmp';
    try {
      if (format === 'parquet') await writeParquetShard(table, tmp, { rowGroupRows: this.opts.rowGroupRows, compression: this.opts.compression });
      else await writeArrowShard(table, tmp);
      const sha256 = await sha256File(tmp);
      const { size } = await stat(tmp);
      await rename(tmp, final);
      return { path: name, format, bytes: size, sha256 };
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new ShardloomError('OUTPUT_WRITE', `could not write shard ${final}: ${(e as Error).message}`, { cause: e });
    }
  }
}

export function toShardRow(row: PackedRow, opts: { special: SpecialIds; stride: number | number[]; rng: Rng }): ShardRow {
  const total = row.samples.reduce((a, s) => a + s.inputIds.length, 0);
  const inputIds = new Int32Array(total);
  const positionIds = new Float32Array(total);
  const r: ShardRow = {
    inputIds, positionIds, sampleLengths: [], sampleSources: [], sampleIds: [], tiles: [], imageTiles: [], imageGrids: [], imageV2peDelta: [],
  };
  let at = 0;
  for (const s of row.samples) {
    const deltas = s.images.map(() => drawV2peDelta(opts.stride, opts.rng));
    inputIds.set(s.inputIds, at);
    positionIds.set(v2pePositions(s.inputIds, opts.special, deltas), at);
    at += s.inputIds.length;
    r.sampleLengths.push(s.inputIds.length);
    r.sampleSources.push(s.source);
    r.sampleIds.push(s.id);
    s.images.forEach((img, j) => {
      r.tiles.push(...img.tiles);
      r.imageTiles.push(img.tiles.length);
      r.imageGrids.push(img.grid);
      r.imageV2peDelta.push(deltas[j]);
    });
  }
  return r;
}

function summarize(index: number, rows: ShardRow[], files: ShardFile[]): ShardRecord {
  const tokensBySource: Record<string, number> = {};
  let tokens = 0, tiles = 0, samples = 0;
  for (const r of rows) {
    tokens += r.inputIds.length;
    tiles += r.tiles.length;
    samples += r.sampleLengths.length;
    r.sampleSources.forEach((s, i) => (tokensBySource[s] = (tokensBySource[s] ?? 0) + r.sampleLengths[i]));
  }
  return { index, rows: rows.length, tokens, tiles, samples, tokensBySource: sortKeys(tokensBySource), files };
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}
