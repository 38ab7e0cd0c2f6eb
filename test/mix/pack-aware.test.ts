/**
 * The pack-aware mixer: rows built by token deficit keep every source within one row (maxTokens) of its
 * target at every row boundary, whatever the document lengths, while filling the rows as a best-fit
 * packer does; repeated epochs carry their epoch in the id.
 */
import { describe, expect, test } from 'vitest';
import { mixAndPack, epochId, epochOf, type MixSource } from '../../src/mix/index.js';
import { chunkSample } from '../../src/pack/chunk.js';
import { packSamples } from '../../src/pack/strategy.js';
import { rngFor } from '../../src/core/rng.js';
import { syntheticSamples } from '../../bench/synthetic.js';
import type { PackedRow, Sample } from '../../src/core/model.js';

const M = 16384;
const T = 48;

const text = (source: string, id: string, n: number): Sample => ({
  id, source, inputIds: new Int32Array(n), images: [], textTokens: n, provenance: { source, file: 'f', location: id },
});
const caption = (source: string, id: string, tiles: number, words: number): Sample => {
  const n = tiles * 256 + 2 + words;
  return { id, source, inputIds: new Int32Array(n), images: [{ grid: { cols: tiles, rows: 1, thumbnail: false }, tiles: Array(tiles).fill(new Uint8Array(1)), start: 0 }], textTokens: words, provenance: { source, file: 'f', location: id } };
};

/** A source whose samples are chunked to the row budget, as the pipeline does before mixing. */
function source(name: string, weight: number, make: () => Sample[]): MixSource {
  return { name, weight, async *open() { for (const s of make()) yield* chunkSample(s, M, T); } };
}
/** Long documents: 0.2 to 6 rows each. */
const longDocs = (name: string, n: number, seed: number) => () => {
  const rng = rngFor(seed, name);
  return Array.from({ length: n }, (_, i) => text(name, `${name}${i}`, Math.floor(M * (0.2 + rng.next() * 5.8))));
};
const captions = (name: string, n: number, seed: number) => () => {
  const rng = rngFor(seed, name);
  return Array.from({ length: n }, (_, i) => caption(name, `${name}${i}`, rng.int(1, 7), rng.int(5, 80)));
};

/** Worst |tokens − share × total| over the row boundaries while every source still had data, and the fill. */
async function measure(sources: MixSource[], opts: Partial<Parameters<typeof mixAndPack>[1]> = {}) {
  const { rows, report } = mixAndPack(sources, { seed: 1, onExhausted: 'stop', maxTokens: M, maxTiles: T, strategy: 'best-fit', lookahead: 128, ...opts });
  const all: PackedRow[] = [];
  for await (const r of rows) all.push(r);
  const wsum = sources.reduce((a, s) => a + s.weight, 0);
  const written: Record<string, number> = {};
  let total = 0;
  let worst = 0;
  // Under `stop` the last row is written after a source ran out: only the boundaries before it count.
  for (const r of all.slice(0, -1)) {
    for (const s of r.samples) { written[s.source] = (written[s.source] ?? 0) + s.inputIds.length; total += s.inputIds.length; }
    for (const s of sources) worst = Math.max(worst, Math.abs((written[s.name] ?? 0) - (s.weight / wsum) * total));
  }
  for (const r of all) {
    expect(r.samples.reduce((a, s) => a + s.inputIds.length, 0)).toBeLessThanOrEqual(M);
    expect(r.samples.reduce((a, s) => a + s.images.reduce((b, im) => b + im.tiles.length, 0), 0)).toBeLessThanOrEqual(T);
  }
  const tokens = all.slice(0, -1).reduce((a, r) => a + r.samples.reduce((b, s) => b + s.inputIds.length, 0), 0);
  return { worst, fill: tokens / ((all.length - 1) * M), rows: all, report };
}

describe('pack-aware mixing: shares at every row boundary', () => {
  test('long documents (up to 6 rows) mixed with caption pairs: within one row of the target, for several shares', async () => {
    for (const [wt, wc] of [[0.6, 0.4], [0.95, 0.05], [0.2, 0.8]]) {
      const { worst, rows } = await measure([source('text', wt, longDocs('text', 1500, 1)), source('cap', wc, captions('cap', 60_000, 2))]);
      expect(rows.length).toBeGreaterThan(1000);
      expect(worst).toBeLessThanOrEqual(M);
    }
  });

  test('the four-source InternVL3 mix: within one row, and rows filled as well as the best-fit packer fills them', async () => {
    const all = [...syntheticSamples(60_000, 42, M)];
    const by = (n: string) => () => all.filter((s) => s.source === n);
    const srcs = [source('text', 0.4, by('text')), source('interleaved', 0.35, by('interleaved')), source('caption', 0.2, by('caption')), source('video', 0.05, by('video'))];
    const { worst, fill } = await measure(srcs);
    expect(worst).toBeLessThanOrEqual(M);
    expect(fill).toBeGreaterThan(0.995);
  });

  test('a sample-level mix packed by a reordering best-fit packer drifts by rows — the problem this solves', async () => {
    const srcs = [source('text', 0.6, longDocs('text', 600, 1)), source('cap', 0.4, captions('cap', 30_000, 2))];
    const { rows: sampleRows } = mixAndPack(srcs, { seed: 1, onExhausted: 'stop', strategy: 'one-per-sequence' });
    const flat = (async function* () { for await (const r of sampleRows) yield* r.samples; })();
    const written: Record<string, number> = { text: 0, cap: 0 };
    let total = 0;
    let worst = 0;
    for await (const r of packSamples(flat, { maxTokens: M, maxTiles: T, buffer: 512 })) {
      for (const s of r.samples) { written[s.source] += s.inputIds.length; total += s.inputIds.length; }
      worst = Math.max(worst, Math.abs(written.text - 0.6 * total));
    }
    expect(worst).toBeGreaterThan(3 * M);
  });

  test('same seed ⇒ same rows; every sample is written exactly once', async () => {
    const srcs = () => [source('text', 0.5, longDocs('text', 100, 3)), source('cap', 0.5, captions('cap', 2000, 4))];
    const ids = async () => (await measure(srcs(), { onExhausted: 'renormalize' })).rows.map((r) => r.samples.map((s) => s.id).join(',')).join('|');
    const a = await ids();
    expect(a).toBe(await ids());
    const flat = a.split(/[|,]/);
    expect(new Set(flat).size).toBe(flat.length);
    const expected = [...longDocs('text', 100, 3)().flatMap((s) => chunkSample(s, M, T)), ...captions('cap', 2000, 4)()].map((s) => s.id).sort();
    expect([...flat].sort()).toEqual(expected);
  });
});

describe('pack-aware mixing: strategies and policies', () => {
  test('one-per-sequence is the plain sample-level mix; first-fit takes each source in order', async () => {
    const srcs = () => [source('a', 1, () => Array.from({ length: 50 }, (_, i) => text('a', `a${i}`, 100 + i))), source('b', 1, () => Array.from({ length: 50 }, (_, i) => text('b', `b${i}`, 300)))];
    const one = await measure(srcs(), { strategy: 'one-per-sequence', onExhausted: 'renormalize' });
    expect(one.rows.every((r) => r.samples.length === 1)).toBe(true);
    const ff = await measure(srcs(), { strategy: 'first-fit', onExhausted: 'renormalize' });
    const order = ff.rows.flatMap((r) => r.samples.map((s) => s.id)).filter((id) => id.startsWith('a'));
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(ff.rows.length).toBeLessThan(5);
  });

  test('cycle: later epochs carry @eN in their ids; the report counts epochs', async () => {
    const srcs = [source('big', 0.5, () => Array.from({ length: 200 }, (_, i) => text('big', `big${i}`, 50))), source('small', 0.5, () => Array.from({ length: 10 }, (_, i) => text('small', `small${i}`, 50)))];
    const { rows, report } = mixAndPack(srcs, { seed: 1, onExhausted: 'cycle', maxTokens: 1000, maxTiles: 10, strategy: 'best-fit', lookahead: 16 });
    const ids: string[] = [];
    for await (const r of rows) ids.push(...r.samples.map((s) => s.id));
    expect(new Set(ids).size).toBe(ids.length);
    // 200 × 50 tokens of `big` against 10 × 50 of `small`: small goes round about 20 times before big runs out.
    expect(report.epochs.small).toBeGreaterThanOrEqual(20);
    expect(ids).toContain('small3@e20');
    expect(ids.filter((id) => id.startsWith('small3')).length).toBeGreaterThanOrEqual(20);
    expect(ids.filter((id) => id === 'small3')).toHaveLength(1);
    expect(epochOf('small3@e20')).toBe(20);
    expect(epochOf('x#2@e3')).toBe(3);
    expect(epochOf('plain#1')).toBe(1);
    expect(epochId('d#0', 1)).toBe('d#0');
    expect(epochId('d#0', 2)).toBe('d#0@e2');
  });

  test('totalTokens ends the run at the first sample past the budget', async () => {
    const srcs = [source('a', 1, longDocs('a', 50, 1)), source('b', 1, captions('b', 5000, 2))];
    const { rows, report } = mixAndPack(srcs, { seed: 1, onExhausted: 'stop', maxTokens: M, maxTiles: T, strategy: 'best-fit', lookahead: 32, totalTokens: 200_000 });
    let total = 0;
    for await (const r of rows) for (const s of r.samples) total += s.inputIds.length;
    expect(report.stoppedBy).toBe('totalTokens');
    expect(total).toBeGreaterThanOrEqual(200_000);
    expect(total).toBeLessThan(200_000 + M);
  });
});
