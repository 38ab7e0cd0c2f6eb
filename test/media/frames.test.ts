import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { sampleFrameIndices, truncLinspace, drawFrameCount } from '../../src/media/frames.js';
import { rngFor } from '../../src/core/rng.js';
import { PYTHON } from '../helpers/tmp.js';

describe('frame sampling (hand-worked)', () => {
  test('middle: 8 frames of a 100-frame clip', () => {
    // edges trunc(linspace(0,100,9)) = 0,12,25,37,50,62,75,87,100 → middles of [a, b-1]
    expect(truncLinspace(100, 9)).toEqual([0, 12, 25, 37, 50, 62, 75, 87, 100]);
    expect(sampleFrameIndices(8, 100, { sample: 'middle' })).toEqual([5, 18, 30, 43, 55, 68, 80, 93]);
  });

  test('a clip shorter than the frame count is padded with its last index (or not)', () => {
    expect(sampleFrameIndices(8, 5, { sample: 'middle' })).toEqual([0, 1, 2, 3, 4, 4, 4, 4]);
    expect(sampleFrameIndices(8, 5, { sample: 'middle', dropRepeated: true })).toEqual([0, 1, 2, 3, 4]);
    expect(sampleFrameIndices(4, 1, { sample: 'middle' })).toEqual([0, 0, 0, 0]);
  });

  test('rand: seeded, one frame inside each interval', () => {
    const a = sampleFrameIndices(8, 100, { sample: 'rand', rng: rngFor(1, 'f') });
    expect(a).toEqual(sampleFrameIndices(8, 100, { sample: 'rand', rng: rngFor(1, 'f') }));
    const edges = truncLinspace(100, 9);
    a.forEach((f, k) => { expect(f).toBeGreaterThanOrEqual(edges[k]); expect(f).toBeLessThanOrEqual(edges[k + 1] - 1); });
  });

  test('fps:R takes the centres of 1/R-second windows; a clip window offsets everything', () => {
    // 10 s at 25 fps, 1 fps: centres 0.5, 1.5 … 9.5 s → frames 12.5→12 (half to even), 37.5→38, 62.5→62 …
    expect(sampleFrameIndices(32, 250, { sample: 'fps:1', fps: 25 })).toEqual([12, 38, 62, 88, 112, 138, 162, 188, 212, 238]);
    expect(sampleFrameIndices(3, 250, { sample: 'fps:1', fps: 25 })).toEqual([12, 38, 62]);
    // [2 s, 4 s] of a 25 fps clip = frames 50 … 99
    expect(sampleFrameIndices(2, 250, { sample: 'middle', fps: 25, clip: [2, 4] })).toEqual([62, 87]);
    expect(() => sampleFrameIndices(2, 250, { sample: 'middle', clip: [2, 4] })).toThrow(/frame rate/);
  });

  test('frame count drawn from [min, max] with the seed', () => {
    const r = rngFor(3, 'n');
    const ns = Array.from({ length: 200 }, () => drawFrameCount(8, 32, r));
    expect(Math.min(...ns)).toBe(8);
    expect(Math.max(...ns)).toBe(32);
  });
});

test('middle sampling equals numpy for many (n, vlen), including non-divisible lengths', () => {
  const cases: [number, number][] = [];
  for (const n of [1, 2, 3, 7, 8, 16, 31, 32]) for (const vlen of [1, 2, 3, 5, 7, 8, 9, 10, 31, 33, 97, 100, 101, 1000, 1001, 4999]) cases.push([n, vlen]);
  const py = `
import numpy as np, json, sys
out = []
for n, vlen in json.load(sys.stdin):
    m = min(n, vlen)
    iv = np.linspace(start=0, stop=vlen, num=m + 1).astype(int)
    ranges = [(iv[i], iv[i + 1] - 1) for i in range(m)]
    f = [(a + b) // 2 for a, b in ranges]
    f = f + [f[-1]] * (n - len(f))
    out.append([int(x) for x in f])
print(json.dumps(out))`;
  const ref = JSON.parse(execFileSync(PYTHON, ['-c', py], { input: JSON.stringify(cases), encoding: 'utf8' }));
  cases.forEach(([n, vlen], i) => expect(sampleFrameIndices(n, vlen, { sample: 'middle' }), `${n} of ${vlen}`).toEqual(ref[i]));
});
