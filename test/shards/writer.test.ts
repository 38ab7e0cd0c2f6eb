import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { readdirSync, mkdirSync, chmodSync, readFileSync, createReadStream } from 'node:fs';
import { RecordBatchReader } from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { join } from 'node:path';
import { ShardWriter, toShardRow, type ShardRecord } from '../../src/shards/writer.js';
import { readShardRows, readShardMetadata, writeParquetShard } from '../../src/shards/parquet-io.js';
import { rowsToTable } from '../../src/shards/arrow-table.js';
import { duck, lit } from '../helpers/duckdb.js';
import { rngFor } from '../../src/core/rng.js';
import { positioned } from '../../src/pack/v2pe.js';
import type { PackedRow, Sample } from '../../src/core/model.js';
import { tempDir } from '../helpers/tmp.js';

const special = { imgStart: 151669, imgEnd: 151670, imgContext: 151671 };
const base = tempDir();
/** Writers run in the calling thread or on a writer thread (`thread`), by the describe block below. */
let threadMode = false;
let dir = base;
const open: ShardWriter[] = [];

function sample(id: string, n: number, source = 'a', tiles = 0): Sample {
  const ids = new Int32Array(n).fill(42);
  const images = [];
  if (tiles > 0) {
    ids[1] = special.imgStart;
    ids.fill(special.imgContext, 2, 2 + tiles * 256);
    ids[2 + tiles * 256] = special.imgEnd;
    images.push({ grid: { cols: tiles, rows: 1, thumbnail: false }, tiles: Array.from({ length: tiles }, (_, k) => Uint8Array.from([k, 1, 2])), start: 1 });
  }
  return { id, source, inputIds: ids, images, textTokens: n - (tiles ? tiles * 256 + 2 : 0), provenance: { source, file: 'f', location: id } };
}

function writer(out: string, extra: Partial<ConstructorParameters<typeof ShardWriter>[0]> = {}) {
  mkdirSync(out, { recursive: true });
  const seen: ShardRecord[] = [];
  const w = new ShardWriter({
    dir: out, prefix: 'part', formats: ['parquet', 'arrow'], maxRows: 3, maxBytes: 1 << 30, rowGroupRows: 2, compression: 'zstd',
    metadata: { 'shardloom.format_version': '1', 'shardloom.config_hash': 'abc' },
    onShard: (s) => { seen.push(s); }, thread: threadMode, ...extra,
  });
  open.push(w);
  // Rows reach the writer positioned by the v2pe step (δ from [64, 256]).
  const rng = rngFor(1, 'w');
  const add = (r: PackedRow) => w.add(positioned(r, [64, 256], special, rng));
  return { w: { add, flush: () => w.flush(), discard: () => w.discard() }, seen };
}

describe.each([false, true])('shard writer (writer thread: %s)', (thread) => {
  beforeAll(() => {
    threadMode = thread;
    dir = join(base, thread ? 'thread' : 'local');
    mkdirSync(dir, { recursive: true });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((w) => w.close()));
  });

  test('an output directory that does not exist: a clear OUTPUT_WRITE error naming the shard, the errno code kept', async () => {
    const w = new ShardWriter({ dir: join(dir, 'missing', 'deeper'), prefix: 'part', formats: ['parquet'], maxRows: 3, maxBytes: 1 << 30, rowGroupRows: 2, compression: 'zstd', metadata: {}, thread });
    open.push(w);
    const err = await w.add(positioned({ samples: [sample('m', 5)] }, [64, 256], special, rngFor(1, 'w'))).then(() => null, (e: Error & { code?: string; cause?: { code?: string } }) => e);
    expect(err?.message).toMatch(/could not write shard .*missing\/deeper\/part-00000\.parquet: ENOENT/);
    expect(err?.cause?.code).toBe('ENOENT');
  });

  test('rolls shards at maxRows, writes every format under its final name only when complete', async () => {
    const out = join(dir, 'roll');
    const { w, seen } = writer(out);
    const rows: PackedRow[] = Array.from({ length: 7 }, (_, i) => ({ samples: [sample(`d${i}`, 10 + i), sample(`e${i}`, 300, 'b', i % 3)] }));
    for (const r of rows) await w.add(r);
    await w.flush();
    expect(seen.map((s) => s.rows)).toEqual([3, 3, 1]);
    expect(readdirSync(out).sort()).toEqual(['part-00000.arrow', 'part-00000.parquet', 'part-00001.arrow', 'part-00001.parquet', 'part-00002.arrow', 'part-00002.parquet']);
    expect(seen[0].tokensBySource).toEqual({ a: 10 + 11 + 12, b: 900 });
    expect(seen[0].tiles).toBe(0 + 1 + 2);
    // Row invariants in the written file.
    const got = [];
    for await (const r of readShardRows(join(out, 'part-00001.parquet'))) got.push(r);
    expect(got.map((r) => r.sampleIds)).toEqual([['d3', 'e3'], ['d4', 'e4'], ['d5', 'e5']]);
    for (const r of got) {
      expect(r.sampleLengths.reduce((a, b) => a + b, 0)).toBe(r.numTokens);
      expect(r.imageTiles.reduce((a, b) => a + b, 0)).toBe(r.numTiles);
      expect(r.positionIds[r.sampleLengths[0]]).toBe(0); // restarts per sample
      for (const d of r.imageV2peDelta) expect([0.25, 1]).toContain(d);
    }
    expect((await readShardMetadata(join(out, 'part-00001.arrow'))).metadata['shardloom.config_hash']).toBe('abc');
  });

  test('rolls at maxBytes too; an empty flush writes nothing', async () => {
    const out = join(dir, 'bytes');
    const { w, seen } = writer(out, { maxRows: 1000, maxBytes: 20_000, formats: ['parquet'] });
    for (let i = 0; i < 10; i++) await w.add({ samples: [sample(`x${i}`, 1000)] });
    await w.flush();
    await w.flush();
    expect(seen.map((s) => s.rows)).toEqual([3, 3, 3, 1]);
  });

  test('a write error is a clear OUTPUT_WRITE error and leaves no temporary file', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions: make the target path a directory instead, so the rename fails.
      const out = join(dir, 'err');
      mkdirSync(join(out, 'part-00000.parquet'), { recursive: true });
      const { w } = writer(out, { formats: ['parquet'] });
      await w.add({ samples: [sample('z', 5)] });
      await expect(w.flush()).rejects.toThrow(/could not write shard .*part-00000\.parquet/);
      expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    } else {
      const out = join(dir, 'ro');
      mkdirSync(out);
      chmodSync(out, 0o500);
      const { w } = writer(out, { formats: ['parquet'] });
      // The shard's file is opened with its first row, so the error may come from add or from flush.
      await expect((async () => { await w.add({ samples: [sample('z', 5)] }); await w.flush(); })()).rejects.toThrow(/could not write shard/);
    }
  });

  test('a shard is streamed a row group at a time, with the same bytes as writing all its rows at once', async () => {
    const out = join(dir, 'stream');
    const { w, seen } = writer(out, { maxRows: 100, rowGroupRows: 3 });
    const rows: PackedRow[] = Array.from({ length: 10 }, (_, i) => ({ samples: [sample(`s${i}`, 50 + i, 'a', i % 4), sample(`t${i}`, 20)] }));
    for (const r of rows) await w.add(r);
    // The shard's files are open under temporary names; nothing has a final name yet.
    expect(readdirSync(out).sort()).toEqual(['part-00000.arrow.tmp', 'part-00000.parquet.tmp']);
    await w.flush();
    expect(seen.map((s) => s.rows)).toEqual([10]);
    const pq = join(out, 'part-00000.parquet');
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(pq));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([3, 3, 3, 1]);
    // The reference: the same rows (same V2PE draws) as one table, written in one go.
    const rng = rngFor(1, 'w');
    const whole = join(dir, 'stream-whole.parquet');
    await writeParquetShard(rowsToTable(rows.map((r) => toShardRow(positioned(r, [64, 256], special, rng))), { 'shardloom.format_version': '1', 'shardloom.config_hash': 'abc' }), whole, { rowGroupRows: 3, compression: 'zstd' });
    expect(readFileSync(pq).equals(readFileSync(whole))).toBe(true);
    // The Arrow file holds one record batch per group, and the same rows.
    const reader = await RecordBatchReader.from(createReadStream(join(out, 'part-00000.arrow')));
    const sizes: number[] = [];
    for await (const b of reader) sizes.push(b.numRows);
    expect(sizes).toEqual([3, 3, 3, 1]);
    const ids: string[][] = [];
    for await (const r of readShardRows(join(out, 'part-00000.arrow'))) ids.push(r.sampleIds);
    expect(ids).toEqual(rows.map((r) => r.samples.map((s) => s.id)));
  });

  test('discarding an unfinished shard removes its temporary files and writes nothing final', async () => {
    const out = join(dir, 'discard');
    const { w, seen } = writer(out, { maxRows: 100, rowGroupRows: 2 });
    for (let i = 0; i < 5; i++) await w.add({ samples: [sample(`d${i}`, 30)] });
    expect(readdirSync(out).length).toBe(2);
    expect(await w.discard()).toBe(5);
    expect(readdirSync(out)).toEqual([]);
    expect(seen).toEqual([]);
    expect(await w.discard()).toBe(0);
  });

  test.each(['zstd', 'snappy', 'none'] as const)('output.compression %s: the streamed Parquet file says so, has no dictionary pages, and DuckDB reads it', async (compression) => {
    const out = join(dir, `codec-${compression}`);
    const { w } = writer(out, { maxRows: 100, rowGroupRows: 2, compression, formats: ['parquet'] });
    for (let i = 0; i < 5; i++) await w.add({ samples: [sample(`k${i}`, 300 + i, 'a', i % 2)] });
    await w.flush();
    const pq = join(out, 'part-00000.parquet');
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(pq));
    const codecs = new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual([{ zstd: 'ZSTD', snappy: 'SNAPPY', none: 'UNCOMPRESSED' }[compression]]);
    // Every column plain-encoded: no dictionary page, no dictionary encoding (tiles, ids and positions included).
    const columns = meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data!));
    expect(columns.map((c) => c.path_in_schema.join('.'))).toContain('tiles.list.item');
    expect(columns.filter((c) => c.dictionary_page_offset !== undefined || c.encodings.some((e) => e.includes('DICTIONARY')))).toEqual([]);
    const rows = await duck(`SELECT sum(num_tokens)::INTEGER AS t, count(*)::INTEGER AS n FROM read_parquet(${lit(pq)})`);
    expect(rows).toEqual([{ t: 300 * 5 + 10, n: 5 }]);
  });
});
