/**
 * The write stage: packed rows → shards. A shard is written in every configured format under a
 * temporary name as its rows arrive (a row group at a time: memory does not grow with the shard size);
 * at its row or byte cap the files are completed, hashed and renamed — a crash never leaves a half
 * shard under a final name. Each finished shard is recorded for index.json.
 */
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PositionedRow } from '../core/model.js';
import { ShardloomError } from '../core/errors.js';
import type { ShardRow } from './arrow-table.js';
import { localSinks, threadSinks, type RowSink, type ShardFormat, type SinkFactory } from './sinks.js';

export type { ShardFormat } from './sinks.js';
export { sha256File } from './hash.js';

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
  /** File metadata of each shard; a function is asked again for every shard, when it is opened. */
  metadata: Record<string, string> | (() => Record<string, string>);
  /** Called after each shard is final (also for shards kept from an earlier, interrupted run). */
  onShard?: (s: ShardRecord, reused: boolean) => void | Promise<void>;
  /** Shards already written and verified by an earlier run (resume): replayed, not rewritten. */
  kept?: ShardRecord[];
  /**
   * Encode and write on a writer thread (sinks.ts), so that the calling thread only hands rows over.
   * Same bytes. Call `close()` when done with the writer.
   */
  thread?: boolean;
}

/** Rows gathered before they are handed to the file writers (a Parquet row group, or less when rows are large). */
const GROUP_MAX_BYTES = 16 << 20;

interface OpenShard {
  index: number;
  /** Set when the shard was finished by an earlier run: its rows are only counted, not written. */
  kept?: ShardRecord;
  sinks: { format: ShardFormat; name: string; tmp: string; sink: RowSink }[];
  group: ShardRow[];
  groupBytes: number;
  bytes: number;
  summary: Summary;
}

export class ShardWriter {
  private cur: OpenShard | null = null;
  private next = 0;
  readonly shards: ShardRecord[] = [];

  private readonly factory: SinkFactory;

  constructor(private readonly opts: ShardWriterOptions) {
    this.factory = opts.thread ? threadSinks() : localSinks();
  }

  /** Stop the writer thread (after flush or discard). */
  async close(): Promise<void> {
    await this.factory.close();
  }

  /**
   * Add a row to the current shard (opening one if needed). Rows go to the shard files a group at a
   * time, so memory holds one group, not a shard; the shard is finished at its row or byte cap.
   */
  async add(row: PositionedRow): Promise<void> {
    const r = toShardRow(row);
    const cur = this.cur ?? (this.cur = await this.open());
    const size = r.inputIds.byteLength * 2 + r.tiles.reduce((a, t) => a + t.byteLength, 0);
    count(cur.summary, r);
    cur.bytes += size;
    if (!cur.kept) {
      cur.group.push(r);
      cur.groupBytes += size;
      if (cur.group.length >= this.opts.rowGroupRows || cur.groupBytes >= GROUP_MAX_BYTES) await this.writeGroup(cur);
    }
    if (cur.summary.rows >= this.opts.maxRows || cur.bytes >= this.opts.maxBytes) await this.flush();
  }

  /** Drop the current, unfinished shard (on interruption: a partial shard never gets a final name). Returns its row count. */
  async discard(): Promise<number> {
    const cur = this.cur;
    this.cur = null;
    if (!cur) return 0;
    await Promise.all(cur.sinks.map((s) => s.sink.abort()));
    return cur.summary.rows;
  }

  /** Finish the current shard: complete its files, hash them and give them their final names (no-op when none is open). */
  async flush(): Promise<void> {
    const cur = this.cur;
    if (!cur) return;
    this.cur = null;
    if (cur.kept) {
      // The stream is deterministic, so a replayed shard must have the rows the journal says.
      const { kept } = cur;
      if (cur.summary.rows !== kept.rows || cur.summary.tokens !== kept.tokens) {
        throw new ShardloomError('OUTPUT_CONFLICT', `resume: shard ${cur.index} replays with ${cur.summary.rows} rows / ${cur.summary.tokens} tokens but was written with ${kept.rows} / ${kept.tokens} — the inputs changed since the run started; rerun with --overwrite`);
      }
      this.shards.push(kept);
      await this.opts.onShard?.(kept, true);
      return;
    }
    const files: ShardFile[] = [];
    try {
      await this.writeGroup(cur);
      let done: { sha256: string; bytes: number }[] = [];
      await this.guard(cur, async () => { done = await Promise.all(cur.sinks.map((s) => s.sink.close())); });
      for (const [i, s] of cur.sinks.entries()) {
        const final = join(this.opts.dir, s.name);
        try {
          await rename(s.tmp, final);
          files.push({ path: s.name, format: s.format, bytes: done[i].bytes, sha256: done[i].sha256 });
        } catch (e) {
          throw writeError(final, e);
        }
      }
    } catch (e) {
      // A shard is all its formats or nothing: remove the temporary files and the formats already renamed.
      await Promise.all(cur.sinks.map((s) => unlink(s.tmp).catch(() => undefined)));
      for (const f of files) await unlink(join(this.opts.dir, f.path)).catch(() => undefined);
      throw e;
    }
    const rec: ShardRecord = { index: cur.index, ...finishSummary(cur.summary), files };
    this.shards.push(rec);
    await this.opts.onShard?.(rec, false);
  }

  private async open(): Promise<OpenShard> {
    const index = this.next++;
    const cur: OpenShard = { index, kept: this.opts.kept?.[index], sinks: [], group: [], groupBytes: 0, bytes: 0, summary: emptySummary() };
    if (cur.kept) return cur;
    const metadata = typeof this.opts.metadata === 'function' ? this.opts.metadata() : this.opts.metadata;
    for (const format of this.opts.formats) {
      const name = `${this.opts.prefix}-${String(index).padStart(5, '0')}.${format}`;
      const tmp = join(this.opts.dir, name + '.tmp');
      try {
        cur.sinks.push({ format, name, tmp, sink: await this.factory.open(tmp, format, metadata, { rowGroupRows: this.opts.rowGroupRows, compression: this.opts.compression }) });
      } catch (e) {
        await Promise.all(cur.sinks.map((s) => s.sink.abort()));
        throw writeError(join(this.opts.dir, name), e);
      }
    }
    return cur;
  }

  private async writeGroup(cur: OpenShard): Promise<void> {
    if (cur.group.length === 0) return;
    const rows = cur.group;
    cur.group = [];
    cur.groupBytes = 0;
    await this.guard(cur, async () => { for (const s of cur.sinks) await s.sink.write(rows); });
  }

  /** Run a write on the shard's files; on failure drop the shard's files and report which shard failed. */
  private async guard(cur: OpenShard, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (this.cur === cur) this.cur = null;
      await Promise.all(cur.sinks.map((s) => s.sink.abort()));
      throw writeError(join(this.opts.dir, cur.sinks[0]?.name ?? `shard ${cur.index}`), e);
    }
  }
}

function writeError(final: string, e: unknown): ShardloomError {
  if (e instanceof ShardloomError) return e;
  return new ShardloomError('OUTPUT_WRITE', `could not write shard ${final}: ${(e as Error).message}`, { cause: e });
}

/** A positioned row as the columns of one shard row. */
export function toShardRow(row: PositionedRow): ShardRow {
  const total = row.positionIds.length;
  const inputIds = new Int32Array(total);
  const r: ShardRow = {
    inputIds, positionIds: row.positionIds, sampleLengths: [], sampleSources: [], sampleIds: [], tiles: [], imageTiles: [], imageGrids: [], imageV2peDelta: row.deltas,
  };
  let at = 0;
  for (const s of row.samples) {
    inputIds.set(s.inputIds, at);
    at += s.inputIds.length;
    r.sampleLengths.push(s.inputIds.length);
    r.sampleSources.push(s.source);
    r.sampleIds.push(s.id);
    for (const img of s.images) {
      r.tiles.push(...img.tiles);
      r.imageTiles.push(img.tiles.length);
      r.imageGrids.push(img.grid);
    }
  }
  return r;
}

interface Summary { rows: number; tokens: number; tiles: number; samples: number; tokensBySource: Record<string, number> }

const emptySummary = (): Summary => ({ rows: 0, tokens: 0, tiles: 0, samples: 0, tokensBySource: {} });

function count(s: Summary, r: ShardRow): void {
  s.rows++;
  s.tokens += r.inputIds.length;
  s.tiles += r.tiles.length;
  s.samples += r.sampleLengths.length;
  r.sampleSources.forEach((src, i) => (s.tokensBySource[src] = (s.tokensBySource[src] ?? 0) + r.sampleLengths[i]));
}

function finishSummary(s: Summary): Omit<ShardRecord, 'index' | 'files'> {
  return { rows: s.rows, tokens: s.tokens, tiles: s.tiles, samples: s.samples, tokensBySource: sortKeys(s.tokensBySource) };
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
