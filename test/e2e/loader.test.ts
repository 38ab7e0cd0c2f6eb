/**
 * docs/examples/shardloom_loader.py (the loader of docs/training.md) on rows of a real run: a small text +
 * caption mix is built with runPipeline, a few rows and the raw `shardloom` metadata go to the loader's
 * pure-logic functions through a JSON file and Debian's python3 + python3-torch (CPU), and the outputs are
 * checked against expectations computed here from the rows. pyarrow is not needed (nor available here).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { readShardRows, type ReadRow } from '../../src/shards/parquet-io.js';
import { duck, lit } from '../helpers/duckdb.js';
import { PYTHON, tempDir } from '../helpers/tmp.js';

const dir = tempDir('shardloom-loader-');
const IGNORE = -100;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

interface Example {
  input_ids_dtype: string; labels: number[]; labels_dtype: string; cu_seqlens: number[]; cu_seqlens_dtype: string; max_seqlen: number;
  position_dtype: string; positions_unchanged: boolean; positions_are_integers: boolean;
  pixel_shape: number[]; pixel_dtype: string; pixel_abs_max: number; channel_means: number[][];
  image_flags: number[]; image_flags_dtype: string; loss_weight: number[];
}
interface Output {
  meta: Record<string, number | string | null>;
  same_from_strings: boolean;
  wrong_ids_error: string | null;
  examples: Example[];
  probes: number[][];
  uint8_dummy: { dtype: string; shape: number[]; flags: number[]; normalised_abs_max: number };
  collate: { input_shape: number[]; labels: number[]; cu_seqlens: number[]; cu_seqlens_dtype: string; pixel_shape: number[]; image_flags: number[] };
  dataset: Record<string, [number, boolean, number[]][]>;
  split_two_workers: string[][];
  dataset_wrong_ids: string | null;
  bad_row_error: string | null;
}

/** An id from the metadata: a JSON number, or a numeric string (shards written before the numbers change). */
const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new Error(`not an id: ${JSON.stringify(v)}`);
  return n;
};

let rows: ReadRow[] = [];
let picked: { withImages: number[]; textOnly: number };
let md: Record<string, unknown>;
let ids: { start: number; end: number; ctx: number; eos: number | null };
let out: Output;
const probes: [number, number, number, number][] = [];

beforeAll(async () => {
  // Debian's python3-torch (installed by .ci/run). Fail, not skip, without it: the page says this test runs the loader.
  const py = spawnSync(PYTHON, ['-c', 'import torch, numpy, PIL; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (py.status !== 0) {
    throw new Error(`${PYTHON} cannot import torch, numpy and PIL, which this test needs to run docs/examples/shardloom_loader.py `
      + `(apt-get install -y --no-install-recommends python3-torch python3-numpy python3-pil; .ci/run does this): ${(py.error?.message ?? py.stderr).trim().split('\n').pop()}`);
  }

  const sd = resolve('sample-data');
  writeFileSync(join(dir, 'mix.yaml'), [
    'name: loader-test',
    'seed: 7',
    'output: {formats: [parquet]}',
    'sources:',
    `  - {name: text, kind: text, paths: [${JSON.stringify(`${sd}/text/lgpl-2.1.txt`)}, ${JSON.stringify(`${sd}/text/apache-2.0.jsonl`)}], idField: id}`,
    `  - {name: captions, kind: caption, paths: [${JSON.stringify(`${sd}/captions/00000.tar`)}]}`,
    'mix: {onExhausted: renormalize}',
    'pack: {maxTokens: 2048}',
    'images: {maxTiles: 2}',
    'v2pe: {stride: [1, 4, 16, 64]}', // fractional V2PE positions in rows with images
    '',
  ].join('\n'));
  const run = await runPipeline(join(dir, 'mix.yaml'), { out: join(dir, 'out'), log: silentLogger, progress: false });
  const shard = join(dir, 'out', run.index.shards[0].files.find((f) => f.format === 'parquet')!.path);
  for await (const r of readShardRows(shard)) rows.push(r);
  // The raw value of the `shardloom` key, as pyarrow hands it to the loader.
  const kv = await duck(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(shard)})`);
  const raw = String(kv.find((x) => x.k === 'shardloom')!.v);
  md = JSON.parse(raw) as Record<string, unknown>;
  ids = { start: num(md.img_start_id), end: num(md.img_end_id), ctx: num(md.img_context_id), eos: md.eos_id == null ? null : num(md.eos_id) };

  // Rows with images and several samples (the two with the most samples), and a text-only row.
  const multi = rows.map((r, i) => [i, r] as const).filter(([, r]) => r.numTiles > 0 && r.sampleLengths.length > 1)
    .sort((a, b) => b[1].sampleLengths.length - a[1].sampleLengths.length).map(([i]) => i);
  const textOnly = rows.findIndex((r) => r.numTiles === 0);
  expect(multi.length, 'rows with images and several samples').toBeGreaterThanOrEqual(2);
  expect(textOnly, 'a text-only row').toBeGreaterThanOrEqual(0);
  picked = { withImages: multi.slice(0, 2), textOnly };
  const handed = [...picked.withImages, picked.textOnly];
  probes.push([0, 0, 0, 0], [0, 0, 100, 300], [0, 0, 447, 447], [1, rows[handed[1]].numTiles - 1, 224, 17]);

  const job = {
    metadata: raw,
    rows: handed.map((i) => {
      const r = rows[i];
      return {
        input_ids: Array.from(r.inputIds), position_ids: Array.from(r.positionIds), sample_lengths: r.sampleLengths,
        num_tiles: r.numTiles, tiles: r.tiles.map((t) => Buffer.from(t).toString('base64')),
      };
    }),
    probes,
    text_only: 2,
    collate: [0, 2],
  };
  writeFileSync(join(dir, 'in.json'), JSON.stringify(job));
  const res = spawnSync(PYTHON, ['-B', resolve('test/e2e/loader_driver.py'), resolve('docs/examples'), join(dir, 'in.json'), join(dir, 'out.json')],
    { encoding: 'utf8', timeout: 240_000 });
  if (res.status !== 0) throw new Error(`loader_driver.py failed (status ${res.status}${res.error ? `, ${res.error.message}` : ''}):\n${res.stderr}`);
  out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Output;
}, 300_000);

/** Expected labels, computed here: input ids, -100 at the three image tokens and at every sample start after the first. */
function expectedLabels(r: ReadRow): number[] {
  const labels = Array.from(r.inputIds, (x) => (x === ids.start || x === ids.ctx || x === ids.end ? IGNORE : x));
  let at = 0;
  r.sampleLengths.forEach((n, k) => { if (k > 0) labels[at] = IGNORE; at += n; });
  return labels;
}

const handedRows = () => [...picked.withImages, picked.textOnly].map((i) => rows[i]);

describe('docs/examples/shardloom_loader.py on rows of a real run', () => {
  test('metadata: ids parsed as numbers, equal to the ids in the rows; a wrong expectation is refused', () => {
    expect(out.meta).toMatchObject({ img_start_id: ids.start, img_end_id: ids.end, img_context_id: ids.ctx, eos_id: ids.eos, tile_size: 448, tile_encoding: 'jpeg' });
    expect(new Set([ids.start, ids.end, ids.ctx]).size).toBe(3);
    expect(out.same_from_strings).toBe(true);
    const r = rows[picked.withImages[0]];
    expect(r.inputIds.filter((x) => x === ids.ctx).length).toBe(256 * r.numTiles);
    expect(out.wrong_ids_error).toMatch(/img_context_id is \d+, the model expects \d+/);
    expect(out.dataset_wrong_ids).toMatch(/img_start_id is \d+, the model expects 1/);
    if (ids.eos !== null) {
      // Every whole sample ends with the end-of-sample token (a split sample: only its last chunk).
      let whole = 0;
      for (const row of handedRows()) {
        let at = 0;
        row.sampleLengths.forEach((n, k) => {
          at += n;
          if (!/#\d+$/.test(row.sampleIds[k])) { expect(row.inputIds[at - 1], row.sampleIds[k]).toBe(ids.eos); whole++; }
        });
      }
      expect(whole).toBeGreaterThan(2);
    }
  });

  test('labels: -100 exactly at <img>, <IMG_CONTEXT>, </img> and at each sample start after the first; the end token is a target', () => {
    handedRows().forEach((r, i) => {
      const got = out.examples[i].labels;
      expect(got.length).toBe(r.numTokens);
      const want = expectedLabels(r);
      const diff = want.findIndex((v, j) => v !== got[j]);
      expect(diff, `row ${i}: first differing label at ${diff}`).toBe(-1);
      expect(out.examples[i].labels_dtype).toBe('torch.int64');
      expect(out.examples[i].input_ids_dtype).toBe('torch.int64');
      if (ids.eos !== null) {
        const eosAt = Array.from(r.inputIds.keys()).filter((j) => r.inputIds[j] === ids.eos);
        for (const j of eosAt) expect(got[j]).toBe(ids.eos);
      }
    });
    // The rows with images hold several samples and images, so both kinds of masking were exercised.
    for (const i of [0, 1]) {
      const r = handedRows()[i];
      expect(r.sampleLengths.length).toBeGreaterThan(1);
      expect(out.examples[i].labels.filter((x) => x === IGNORE).length).toBe(256 * r.numTiles + 2 * r.imageTiles.length + sampleStartsNotImage(r));
    }
  });

  test('cu_seqlens = running sum of sample_lengths with a leading 0 (int32); max_seqlen; positions unchanged float32', () => {
    handedRows().forEach((r, i) => {
      const cu = [0];
      for (const n of r.sampleLengths) cu.push(cu[cu.length - 1] + n);
      expect(out.examples[i].cu_seqlens).toEqual(cu);
      expect(out.examples[i].cu_seqlens_dtype).toBe('torch.int32');
      expect(out.examples[i].max_seqlen).toBe(Math.max(...r.sampleLengths));
      expect(out.examples[i].position_dtype).toBe('torch.float32');
      expect(out.examples[i].positions_unchanged).toBe(true);
      expect(out.examples[i].positions_are_integers).toBe(Array.from(r.positionIds).every((p) => Number.isInteger(p)));
    });
    expect(out.examples.map((e) => e.positions_are_integers)).toEqual([false, false, true]);
  });

  test('pixel_values N×3×448×448 with image_flags 1; a text-only row gets one all-zero dummy tile with flag 0', () => {
    handedRows().forEach((r, i) => {
      const e = out.examples[i];
      expect(e.pixel_dtype).toBe('torch.float32');
      expect(e.image_flags_dtype).toBe('torch.int64');
      if (r.numTiles > 0) {
        expect(e.pixel_shape).toEqual([r.numTiles, 3, 448, 448]);
        expect(e.image_flags).toEqual(new Array(r.numTiles).fill(1));
        expect(e.pixel_abs_max).toBeGreaterThan(0.5);
      } else {
        expect(e.pixel_shape).toEqual([1, 3, 448, 448]);
        expect(e.image_flags).toEqual([0]);
        expect(e.pixel_abs_max).toBe(0);
      }
    });
    expect(out.uint8_dummy).toMatchObject({ dtype: 'uint8', shape: [1, 3, 448, 448], flags: [0] });
    expect(out.uint8_dummy.normalised_abs_max).toBeLessThan(0.01);
  });

  test('pixels: decoded JPEG, ImageNet mean/std, channels first (checked against sharp\'s decode of the same tile)', async () => {
    const rs = handedRows();
    // JPEG decoders may differ by a level or two; 0.05 in normalised units is about 3 levels.
    for (const [k, [row, tile, y, x]] of probes.entries()) {
      const { data, info } = await sharp(rs[row].tiles[tile]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([448, 448, 3]);
      const want = [0, 1, 2].map((c) => (data[(y * 448 + x) * 3 + c] / 255 - MEAN[c]) / STD[c]);
      out.probes[k].forEach((v, c) => expect(Math.abs(v - want[c]), `probe ${k} channel ${c}: ${v} vs ${want[c]}`).toBeLessThan(0.05));
    }
    for (const [row, tiles] of [[0, rs[0].numTiles], [1, rs[1].numTiles]] as const) {
      for (let t = 0; t < tiles; t++) {
        const { data } = await sharp(rs[row].tiles[t]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const sum = [0, 0, 0];
        for (let p = 0; p < data.length; p++) sum[p % 3] += data[p];
        const want = sum.map((s, c) => (s / (448 * 448) / 255 - MEAN[c]) / STD[c]);
        out.examples[row].channel_means[t].forEach((v, c) => expect(Math.abs(v - want[c])).toBeLessThan(0.01));
      }
    }
  });

  test('loss weights (square): 1/sqrt(targets of the sample) on its targets, 0 elsewhere and at labels[0]', () => {
    handedRows().forEach((r, i) => {
      const labels = expectedLabels(r);
      const w = out.examples[i].loss_weight;
      let at = 0;
      for (const n of r.sampleLengths) {
        const isTarget = (j: number) => j > 0 && labels[j] !== IGNORE;
        let t = 0;
        for (let j = at; j < at + n; j++) if (isTarget(j)) t++;
        for (let j = at; j < at + n; j++) expect(w[j]).toBeCloseTo(isTarget(j) ? 1 / Math.sqrt(t) : 0, 6);
        at += n;
      }
    });
  });

  test('collate_packed: two rows become one varlen sequence; the second row\'s first token is not a target', () => {
    const [a, c] = [handedRows()[0], handedRows()[2]];
    expect(out.collate.input_shape).toEqual([1, a.numTokens + c.numTokens]);
    expect(out.collate.labels).toEqual([...expectedLabels(a), IGNORE, ...expectedLabels(c).slice(1)]);
    const cu = [0];
    for (const n of [...a.sampleLengths, ...c.sampleLengths]) cu.push(cu[cu.length - 1] + n);
    expect(out.collate.cu_seqlens).toEqual(cu);
    expect(out.collate.cu_seqlens_dtype).toBe('torch.int32');
    expect(out.collate.pixel_shape).toEqual([a.numTiles + 1, 3, 448, 448]);
    expect(out.collate.image_flags).toEqual([...new Array(a.numTiles).fill(1), 0]);
  });

  test('ShardloomDataset splits files over ranks and workers and yields tensors; a damaged image span is refused', () => {
    const [a, b, c] = handedRows();
    expect(out.dataset).toEqual({
      0: [[a.numTokens, true, [a.numTiles, 3, 448, 448]], [c.numTokens, true, [1, 3, 448, 448]]],
      1: [[b.numTokens, true, [b.numTiles, 3, 448, 448]]],
    });
    expect(out.split_two_workers).toEqual([['f2'], ['f3']]);
    expect(out.bad_row_error).toMatch(/<IMG_CONTEXT> tokens for \d+ tiles/);
  });
});

/** Sample starts (after the first) that are not already an image token. */
function sampleStartsNotImage(r: ReadRow): number {
  let at = 0;
  let n = 0;
  r.sampleLengths.forEach((len, k) => {
    const x = r.inputIds[at];
    if (k > 0 && x !== ids.start && x !== ids.ctx && x !== ids.end) n++;
    at += len;
  });
  return n;
}
