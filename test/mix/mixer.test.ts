import { describe, expect, test } from 'vitest';
import { mixByTokens, type MixSource } from '../../src/mix/index.js';
import { rngFor } from '../../src/core/rng.js';
import type { Sample } from '../../src/core/model.js';

const sample = (source: string, i: number, n: number): Sample => ({
  id: `${source}-${i}`, source, inputIds: new Int32Array(n), images: [], textTokens: n, provenance: { source, file: 'f', location: String(i) },
});

/** A source of `count` samples with long-tailed lengths (1 … maxLen), seeded. */
function source(name: string, weight: number, count: number, maxLen: number, seed: number): MixSource {
  return {
    name,
    weight,
    async *open() {
      const rng = rngFor(seed, name);
      for (let i = 0; i < count; i++) yield sample(name, i, Math.max(1, Math.min(maxLen, Math.floor(Math.exp(rng.next() * Math.log(maxLen))))));
    },
  };
}

async function collect(it: AsyncIterable<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of it) out.push(s);
  return out;
}

describe('mixer: token shares', () => {
  test('at every prefix of long random streams each source is within one (longest) sample of its target', async () => {
    for (const seed of [1, 2, 3]) {
      const weights = { text: 0.4, interleaved: 0.35, caption: 0.2, video: 0.05 };
      const maxLen = 4096;
      const srcs = Object.entries(weights).map(([n, w], k) => source(n, w, 20_000, maxLen, seed * 10 + k));
      const { samples } = mixByTokens(srcs, { seed, onExhausted: 'stop' });
      const emitted: Record<string, number> = { text: 0, interleaved: 0, caption: 0, video: 0 };
      let total = 0;
      let worst = 0;
      for await (const s of samples) {
        emitted[s.source] += s.inputIds.length;
        total += s.inputIds.length;
        for (const [n, w] of Object.entries(weights)) worst = Math.max(worst, Math.abs(emitted[n] - w * total));
      }
      expect(total).toBeGreaterThan(1_000_000);
      expect(worst).toBeLessThanOrEqual(maxLen);
    }
  });

  test('same seed ⇒ same order; ties are broken by the seed', async () => {
    const mk = () => [source('a', 1, 500, 10, 5), source('b', 1, 500, 10, 6)];
    const ids = async (seed: number) => (await collect(mixByTokens(mk(), { seed, onExhausted: 'stop' }).samples)).map((s) => s.id).join();
    expect(await ids(1)).toBe(await ids(1));
    expect(await ids(1)).not.toBe(await ids(2));
  });
});

describe('mixer: exhaustion policies', () => {
  const srcs = () => [source('big', 0.5, 1000, 50, 1), source('small', 0.5, 20, 50, 2)];

  test('stop: the run ends when the first source runs out', async () => {
    const { samples, report } = mixByTokens(srcs(), { seed: 1, onExhausted: 'stop' });
    const out = await collect(samples);
    expect(out.filter((s) => s.source === 'small')).toHaveLength(20);
    expect(out.filter((s) => s.source === 'big').length).toBeLessThan(40);
    expect(report.stoppedBy).toBe('stop-policy');
    expect(report.exhausted.map((e) => e.source)).toEqual(['small']);
  });

  test('renormalize: the rest is spread over the remaining sources, everything is used', async () => {
    const { samples, report } = mixByTokens(srcs(), { seed: 1, onExhausted: 'renormalize' });
    const out = await collect(samples);
    expect(out).toHaveLength(1020);
    expect(report.exhausted.map((e) => e.source)).toEqual(['small', 'big']);
    expect(report.stoppedBy).toBe('sources');
  });

  test('cycle: a source that runs out starts a new epoch (counted) and keeps its share', async () => {
    const { samples, report } = mixByTokens(srcs(), { seed: 1, onExhausted: 'cycle', totalTokens: 16_000 });
    const out = await collect(samples);
    expect(report.epochs.small).toBeGreaterThan(5);
    expect(report.epochs.big).toBe(1);
    const small = out.filter((s) => s.source === 'small').reduce((a, s) => a + s.inputIds.length, 0);
    const total = out.reduce((a, s) => a + s.inputIds.length, 0);
    expect(Math.abs(small / total - 0.5)).toBeLessThan(0.01);
    expect(report.stoppedBy).toBe('totalTokens');
    expect(total).toBeGreaterThanOrEqual(16_000);
    expect(total).toBeLessThan(16_000 + 50);
    // Without a token budget, cycling ends once every source has completed an epoch.
    const open = mixByTokens(srcs(), { seed: 1, onExhausted: 'cycle' });
    const all = await collect(open.samples);
    expect(all.filter((s) => s.source === 'big')).toHaveLength(1000);
  });

  test('an empty source under cycle does not loop forever', async () => {
    const empty: MixSource = { name: 'empty', weight: 1, async *open() {} };
    const { samples } = mixByTokens([empty, source('a', 1, 5, 10, 1)], { seed: 1, onExhausted: 'cycle' });
    expect(await collect(samples)).toHaveLength(5);
  });
});
