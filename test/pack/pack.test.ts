import { describe, expect, test } from 'vitest';
import { packSamples } from '../../src/pack/strategy.js';
import { chunkSample } from '../../src/pack/chunk.js';
import type { PackedRow, Sample } from '../../src/core/model.js';
import { syntheticSamples, asAsync, SPECIAL } from '../../bench/synthetic.js';

async function pack(samples: Sample[], opts: Parameters<typeof packSamples>[1]) {
  const rejected: [string, string][] = [];
  const rows: PackedRow[] = [];
  for await (const r of packSamples(asAsync(samples), opts, (s, reason) => rejected.push([s.id, reason]))) rows.push(r);
  return { rows, rejected };
}

/** Check every image span in a sample is whole: <img>, 256·tiles <IMG_CONTEXT>, </img>, at `start`. */
function spansWhole(s: Sample): boolean {
  return s.images.every((im) => {
    const n = im.tiles.length * 256;
    return s.inputIds[im.start] === SPECIAL.imgStart && s.inputIds[im.start + n + 1] === SPECIAL.imgEnd && s.inputIds.subarray(im.start + 1, im.start + 1 + n).every((x) => x === SPECIAL.imgContext);
  }) && s.inputIds.filter((x) => x === SPECIAL.imgStart).length === s.images.length;
}

const tokens = (s: Sample) => s.inputIds.length;
const tiles = (s: Sample) => s.images.reduce((a, im) => a + im.tiles.length, 0);

describe('best-fit packing on a realistic stream', () => {
  const input = [...syntheticSamples(6000, 3)];
  const opts = { maxTokens: 16384, maxTiles: 48, buffer: 512 };

  test('never exceeds the limits, never cuts an image, loses no token of any sample, fills ≥ 99 %', async () => {
    const { rows, rejected } = await pack(input, opts);
    expect(rejected).toEqual([]);
    for (const r of rows) {
      expect(r.samples.reduce((a, s) => a + tokens(s), 0)).toBeLessThanOrEqual(opts.maxTokens);
      expect(r.samples.reduce((a, s) => a + tiles(s), 0)).toBeLessThanOrEqual(opts.maxTiles);
      for (const s of r.samples) expect(spansWhole(s)).toBe(true);
    }
    // Multiset in = out: re-join chunks by id and compare token sequences.
    const out = new Map<string, number[]>();
    for (const r of rows) for (const s of r.samples) {
      const base = s.id.replace(/#\d+$/, '');
      out.set(base, [...(out.get(base) ?? []), ...s.inputIds]);
    }
    expect(out.size).toBe(input.length);
    for (const s of input) expect(out.get(s.id)).toEqual(Array.from(s.inputIds));
    const fill = rows.reduce((a, r) => a + r.samples.reduce((b, s) => b + tokens(s), 0), 0) / (rows.length * opts.maxTokens);
    expect(fill).toBeGreaterThanOrEqual(0.99);
  });

  test('deterministic; baselines fill less', async () => {
    const a = await pack(input.slice(0, 2000), opts);
    const b = await pack(input.slice(0, 2000), opts);
    expect(a.rows.map((r) => r.samples.map((s) => s.id).join())).toEqual(b.rows.map((r) => r.samples.map((s) => s.id).join()));
    const fillOf = (rows: PackedRow[]) => rows.reduce((x, r) => x + r.samples.reduce((y, s) => y + tokens(s), 0), 0) / (rows.length * opts.maxTokens);
    const first = await pack(input.slice(0, 2000), { ...opts, strategy: 'first-fit' });
    const one = await pack(input.slice(0, 2000), { ...opts, strategy: 'one-per-sequence' });
    expect(fillOf(first.rows)).toBeLessThan(fillOf(a.rows));
    expect(fillOf(one.rows)).toBeLessThan(fillOf(first.rows));
  });
});

describe('chunking', () => {
  const sample = (parts: (number | number[])[]): Sample => {
    const ids: number[] = [];
    const images: Sample['images'] = [];
    for (const p of parts) {
      if (typeof p === 'number') ids.push(...Array(p).fill(7));
      else {
        images.push({ grid: { cols: p[0], rows: 1, thumbnail: false }, tiles: Array(p[0]).fill(new Uint8Array(1)), start: ids.length });
        ids.push(SPECIAL.imgStart, ...Array(p[0] * 256).fill(SPECIAL.imgContext), SPECIAL.imgEnd);
      }
    }
    return { id: 'd', source: 's', inputIds: Int32Array.from(ids), images, textTokens: 0, provenance: { source: 's', file: 'f', location: '1' } };
  };

  test('long text is split on token boundaries into id#k chunks', () => {
    const chunks = chunkSample(sample([2500]), 1000, 10);
    expect(chunks.map((c) => [c.id, c.inputIds.length, c.textTokens])).toEqual([['d#0', 1000, 1000], ['d#1', 1000, 1000], ['d#2', 500, 500]]);
  });

  test('a cut never falls inside an image span; images are rebased', () => {
    const chunks = chunkSample(sample([200, [2], 300]), 600, 10); // image span 514 tokens at 200..713
    expect(chunks.map((c) => c.inputIds.length)).toEqual([200, 600, 214]); // 200 + 514 + 300
    expect(chunks[1].images[0].start).toBe(0);
    expect(chunks[1].textTokens).toBe(600 - 514);
    expect(spansWhole(chunks[1])).toBe(true);
  });

  test('tiles also bound a chunk; an image larger than a sequence is a reject', async () => {
    const chunks = chunkSample(sample([10, [3], 10, [3], 10]), 10_000, 4);
    expect(chunks.map((c) => c.images.length)).toEqual([1, 1]);
    const big = sample([10, [5], 10]);
    const { rows, rejected } = await pack([big], { maxTokens: 1000, maxTiles: 48, buffer: 8 });
    expect(rows).toEqual([]);
    expect(rejected).toEqual([['d', 'pack.image_too_large']]);
  });
});
