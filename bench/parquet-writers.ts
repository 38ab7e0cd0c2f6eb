/**
 * bench:parquet — choose the Parquet writer by measurement: the same realistic shard (16 384-token rows,
 * ~20 JPEG-sized tiles per row, all 11 contract columns) written by parquet-wasm, hyparquet-writer and
 * parquetjs-lite. Reports write time, MB/s, file size, codec, and what DuckDB reads back.
 *
 *   npm run bench:parquet [-- --rows 48]
 */
import { mkdirSync, statSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { parquetWriteFile } from 'hyparquet-writer';
import { rowsToTable, type ShardRow } from '../src/shards/arrow-table.js';
import { writeParquetShard } from '../src/shards/parquet-io.js';
import { rngFor } from '../src/core/rng.js';
import { DuckDBInstance } from '@duckdb/node-api';

const ROWS = Number(process.argv.find((a, i) => process.argv[i - 1] === '--rows') ?? 48);
const dir = resolve('.bench-data/parquet-writers');

function makeRows(): ShardRow[] {
  const rng = rngFor(7, 'parquet-bench');
  return Array.from({ length: ROWS }, () => {
    const n = 16384;
    const ids = Int32Array.from({ length: n }, () => rng.int(0, 151000));
    const samples = rng.int(3, 30);
    const lens = Array.from({ length: samples }, () => Math.floor(n / samples));
    lens[0] += n - lens.reduce((a, b) => a + b, 0);
    const images = rng.int(1, 5);
    const grids = Array.from({ length: images }, () => ({ cols: 2, rows: 2, thumbnail: true }));
    const tiles = Array.from({ length: images * 5 }, () => randomBytes(40_000 + rng.int(0, 40_000)));
    return {
      inputIds: ids, positionIds: Float32Array.from(ids, (_, i) => i), sampleLengths: lens,
      sampleSources: lens.map((_, i) => (i % 2 ? 'obelics' : 'text')), sampleIds: lens.map((_, i) => `doc-${i}`),
      tiles, imageTiles: grids.map(() => 5), imageGrids: grids, imageV2peDelta: grids.map(() => 0.25),
    };
  });
}

async function duckTypes(path: string): Promise<string> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const r = await con.runAndReadAll(`SELECT count(*) AS n, sum(len(input_ids)) AS t FROM read_parquet('${path}')`);
    const d = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const types = d.getRowObjectsJS().map((x) => `${x.column_name}:${x.column_type}`);
    const row = r.getRowObjectsJS()[0];
    return `rows ${row.n}, tokens ${row.t}; ${types.find((t) => t.startsWith('image_grids'))}; ${types.find((t) => t.startsWith('tiles'))}`;
  } catch (e) {
    return `DuckDB cannot read it: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

async function time(name: string, fn: () => Promise<void>) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rows = makeRows();
  const rawMB = rows.reduce((a, r) => a + r.inputIds.byteLength * 2 + r.tiles.reduce((b, t) => b + t.length, 0), 0) / 1e6;
  console.log(`shard: ${ROWS} rows × 16384 tokens, ${rows.reduce((a, r) => a + r.tiles.length, 0)} tiles, ${rawMB.toFixed(1)} MB of data`);
  const results: [string, string, number, string, string][] = [];

  const pw = join(dir, 'parquet-wasm.parquet');
  const tPw = await time('parquet-wasm', async () => writeParquetShard(rowsToTable(rows, { 'shardloom.format_version': '1' }), pw, { rowGroupRows: 16, compression: 'zstd' }));
  results.push(['parquet-wasm 0.8 (arrow-rs)', 'zstd', tPw, pw, 'all 11 columns, nested list<struct>, kv metadata']);

  const hw = join(dir, 'hyparquet-writer.parquet');
  const tHw = await time('hyparquet-writer', async () => {
    await parquetWriteFile({
      filename: hw,
      columnData: [
        { name: 'input_ids', data: rows.map((r) => r.inputIds) },
        { name: 'position_ids', data: rows.map((r) => r.positionIds) },
        { name: 'sample_lengths', data: rows.map((r) => r.sampleLengths) },
        { name: 'sample_sources', data: rows.map((r) => r.sampleSources) },
        { name: 'sample_ids', data: rows.map((r) => r.sampleIds) },
        { name: 'tiles', data: rows.map((r) => r.tiles) },
        { name: 'image_tiles', data: rows.map((r) => r.imageTiles) },
        { name: 'image_grids', data: rows.map((r) => r.imageGrids) },
        { name: 'image_v2pe_delta', data: rows.map((r) => r.imageV2peDelta) },
        { name: 'num_tokens', data: rows.map((r) => r.inputIds.length), type: 'INT32' },
        { name: 'num_tiles', data: rows.map((r) => r.tiles.length), type: 'INT32' },
      ],
      rowGroupSize: 16,
      kvMetadata: [{ key: 'shardloom', value: '{}' }],
    } as never);
  });
  results.push(['hyparquet-writer 0.17 (pure JS)', 'snappy (zstd needs a compressor of your own)', tHw, hw, 'types guessed from JS values: Int32Array→?, no Int16, list<struct> as guessed']);

  const pl = join(dir, 'parquetjs-lite.parquet');
  const require = createRequire(import.meta.url);
  const parquet = require('parquetjs-lite');
  const tPl = await time('parquetjs-lite', async () => {
    const schema = new parquet.ParquetSchema({
      input_ids: { type: 'INT32', repeated: true },
      position_ids: { type: 'FLOAT', repeated: true },
      sample_lengths: { type: 'INT32', repeated: true },
      sample_sources: { type: 'UTF8', repeated: true },
      sample_ids: { type: 'UTF8', repeated: true },
      tiles: { type: 'BYTE_ARRAY', repeated: true },
      image_tiles: { type: 'INT32', repeated: true },
      image_grids: { repeated: true, fields: { cols: { type: 'INT32' }, rows: { type: 'INT32' }, thumbnail: { type: 'BOOLEAN' } } },
      image_v2pe_delta: { type: 'FLOAT', repeated: true },
      num_tokens: { type: 'INT32' },
      num_tiles: { type: 'INT32' },
    });
    const w = await parquet.ParquetWriter.openFile(schema, pl, { compression: 'GZIP' });
    w.setRowGroupSize(16);
    for (const r of rows) {
      await w.appendRow({
        input_ids: Array.from(r.inputIds), position_ids: Array.from(r.positionIds), sample_lengths: r.sampleLengths, sample_sources: r.sampleSources,
        sample_ids: r.sampleIds, tiles: r.tiles.map((t) => Buffer.from(t)), image_tiles: r.imageTiles, image_grids: r.imageGrids,
        image_v2pe_delta: r.imageV2peDelta, num_tokens: r.inputIds.length, num_tiles: r.tiles.length,
      });
    }
    await w.close();
  });
  results.push(['parquetjs-lite 0.8', 'gzip (no zstd in the library)', tPl, pl, 'repeated fields (legacy 2-level lists), no Int16']);

  console.log('\n| writer | codec | seconds | MB/s | file MB | DuckDB reads back | notes |\n|---|---|---|---|---|---|---|');
  for (const [name, codec, s, path, notes] of results) {
    console.log(`| ${name} | ${codec} | ${s.toFixed(2)} | ${(rawMB / s).toFixed(1)} | ${(statSync(path).size / 1e6).toFixed(1)} | ${await duckTypes(path)} | ${notes} |`);
  }
  console.log(`\nparquet-wasm is ${(tHw / tPw).toFixed(2)}× hyparquet-writer and ${(tPl / tPw).toFixed(2)}× parquetjs-lite on this shard`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
