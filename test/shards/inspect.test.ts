/**
 * `inspect` on a shard built here: per image its grid, tiles, V2PE δ and the position ids of its span, read
 * back from the row; tile files zero-padded so that they sort in row order (img010 after img002).
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectRow, formatImage } from '../../src/shards/inspect.js';
import { rowsToTable, type ShardRow } from '../../src/shards/arrow-table.js';
import { writeParquetShard } from '../../src/shards/parquet-io.js';
import { v2pePositions } from '../../src/pack/v2pe.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const special = { imgStart: 151665, imgEnd: 151666, imgContext: 151667 };
const md = {
  'shardloom.format_version': '2', 'shardloom.tokenizer': 'internvl3', 'shardloom.img_start_id': '151665', 'shardloom.img_end_id': '151666',
  'shardloom.img_context_id': '151667', 'shardloom.eos_id': '151643', 'shardloom.vocab_size': '151674', 'shardloom.tile_encoding': 'jpeg', 'shardloom.tile_size': '448',
};

/** A sample: text token 9707 ("Hello"), then its images (tiles each), then eos. */
function sample(tiles: number[]): number[] {
  const ids = [9707];
  for (const t of tiles) ids.push(special.imgStart, ...new Array(256 * t).fill(special.imgContext), special.imgEnd, 9707);
  return [...ids, 151643];
}

function row(samples: number[][], grids: ShardRow['imageGrids'], deltas: number[]): ShardRow {
  const inputIds = Int32Array.from(samples.flat());
  const positionIds = new Float32Array(inputIds.length);
  let at = 0, img = 0;
  for (const s of samples) {
    const n = s.filter((x) => x === special.imgStart).length;
    positionIds.set(v2pePositions(Int32Array.from(s), special, deltas.slice(img, img + n)), at);
    at += s.length;
    img += n;
  }
  const imageTiles = grids.map((g) => g.cols * g.rows + (g.thumbnail ? 1 : 0));
  const total = imageTiles.reduce((a, b) => a + b, 0);
  return {
    inputIds, positionIds, sampleLengths: samples.map((s) => s.length), sampleSources: samples.map((_, i) => `src${i}`), sampleIds: samples.map((_, i) => `doc-${i}`),
    tiles: Array.from({ length: total }, (_, k) => Uint8Array.from([0xff, 0xd8, k & 0xff])), imageTiles, imageGrids: grids, imageV2peDelta: deltas,
  };
}

describe('inspect', () => {
  test('per image: grid, tiles, δ, token and position spans, and zero-padded tile files in row order', async () => {
    // Row 1: sample 0 has one 2×1 + thumbnail image at δ 1/16; sample 1 has eleven 1×1 images at δ 1.
    const grids = [{ cols: 2, rows: 1, thumbnail: true }, ...Array.from({ length: 11 }, () => ({ cols: 1, rows: 1, thumbnail: false }))];
    const deltas = [0.0625, ...new Array(11).fill(1)];
    const r1 = row([sample([3]), sample(new Array(11).fill(1))], grids, deltas);
    const r0 = row([sample([])], [], []);
    const path = join(dir, 'part-00000.parquet');
    await writeParquetShard(rowsToTable([r0, r1], md), path);
    const tilesOut = join(dir, 'tiles');
    const res = await inspectRow(path, 1, { tilesOut });
    expect(res.images).toHaveLength(12);
    const [a, b] = res.images;
    expect(a).toMatchObject({ index: 0, sample: 0, grid: { cols: 2, rows: 1, thumbnail: true }, tiles: 3, delta: 0.0625, tokenSpan: [1, 1 + 3 * 256 + 1] });
    // V2PE: <img> at 1, contexts 1 + δ·k, </img> at ceil(last) + 1.
    expect(a.positions).toEqual({ imgStart: 1, firstContext: 1.0625, lastContext: 1 + 0.0625 * 768, imgEnd: 1 + 48 + 1 });
    expect(r1.positionIds[a.tokenSpan[1]]).toBe(a.positions.imgEnd);
    const s1 = res.samples[0].tokens;
    expect(b).toMatchObject({ index: 1, sample: 1, tiles: 1, delta: 1, tokenSpan: [s1 + 1, s1 + 258], positions: { imgStart: 1, firstContext: 2, lastContext: 257, imgEnd: 258 } });
    expect(res.samples.map((s) => s.images)).toEqual([1, 11]);
    // Files: row00001-img000-tile00.jpg …; sorted names are the row's tile order, image 10 after image 2.
    const names = readdirSync(tilesOut);
    expect(names).toHaveLength(14);
    expect([...names].sort()).toEqual(res.tileFiles.map((f) => f.slice(tilesOut.length + 1)));
    expect(a.tileFiles.map((f) => f.slice(tilesOut.length + 1))).toEqual(['row00001-img000-tile00.jpg', 'row00001-img000-tile01.jpg', 'row00001-img000-tile02.jpg']);
    expect(res.images[10].tileFiles[0].endsWith('row00001-img010-tile00.jpg')).toBe(true);
    expect(formatImage(b)).toMatch(/^ {2}image 1: grid 1×1 = 1 tile, δ 1, /);
    expect([...readFileSync(res.images[11].tileFiles[0])]).toEqual([0xff, 0xd8, 13]);
    expect(formatImage(a)).toMatch(/^ {2}image 0: grid 2×1 \+ thumbnail = 3 tiles, δ 0\.0625, tokens 1–770, positions 1–50, tiles .*row00001-img000-tile00\.jpg/);
  });
});
