/**
 * planTiles against the InternVL reference rules run by Python (bench/internvl_ref.py): every sampled
 * size must choose the same grid, for maxTiles 6 and 12 (and a few other settings).
 */
import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { planTiles, perImageMaxTiles, candidateGrids } from '../../src/media/tiling.js';
import { rngFor } from '../../src/core/rng.js';
import { PYTHON } from '../helpers/tmp.js';

function sizes(): [number, number][] {
  const out: [number, number][] = [];
  const S = 448;
  for (let k = 1; k * S <= 10_000; k++) for (const d of [-1, 0, 1]) for (let m = 1; m * S <= 10_000; m += 1) out.push([k * S + d, m * S], [m * S, k * S + d]);
  for (let n = 1; n <= 10_000; n = Math.ceil(n * 1.07)) out.push([1, n], [n, 1], [n, n], [2 * n, n], [n, 3 * n]);
  for (let a = 1; a <= 40; a++) for (let b = 1; b <= 40; b++) out.push([a * 100, b * 100], [a * 37, b * 53], [a, b]); // exact and near ratios
  const rng = rngFor(2026, 'tiling-sizes');
  for (let i = 0; i < 6000; i++) out.push([rng.int(1, 10_000), rng.int(1, 10_000)]);
  return out.filter(([w, h]) => w >= 1 && h >= 1 && w <= 10_000 && h <= 10_000);
}

function reference(cases: [number, number, number, number][]): string[] {
  const input = cases.map((c) => c.join(' ')).join('\n') + '\n';
  return execFileSync(PYTHON, ['bench/internvl_ref.py', 'plan'], { input, encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
}

describe('planTiles = InternVL reference', () => {
  test.each([[1, 6], [1, 12], [1, 24], [1, 40]])('minTiles %i, maxTiles %i on thousands of sizes', (minTiles, maxTiles) => {
    const cases = sizes().map(([w, h]) => [w, h, minTiles, maxTiles] as [number, number, number, number]);
    expect(cases.length).toBeGreaterThan(10_000);
    const ref = reference(cases);
    const bad: string[] = [];
    cases.forEach(([w, h], i) => {
      const p = planTiles(w, h, { minTiles, maxTiles });
      if (`${p.cols} ${p.rows}` !== ref[i] && bad.length < 10) bad.push(`${w}×${h}: ours ${p.cols}×${p.rows}, reference ${ref[i]}`);
    });
    expect(bad).toEqual([]);
  });

  test('tiles, thumbnail and tokens', () => {
    expect(planTiles(448, 448)).toEqual({ cols: 1, rows: 1, tiles: 1, thumbnail: false, tokens: 256 });
    expect(planTiles(896, 448)).toEqual({ cols: 2, rows: 1, tiles: 3, thumbnail: true, tokens: 768 });
    expect(planTiles(1, 10_000)).toMatchObject({ cols: 1, rows: 12, tiles: 13 });
    expect(planTiles(1000, 1000, { maxTiles: 1 })).toMatchObject({ cols: 1, rows: 1, tiles: 1, thumbnail: false });
  });

  test('the multi-image rule and the candidate order', () => {
    expect([1, 2, 3, 4, 5, 12, 13, 30].map((n) => perImageMaxTiles(12, n))).toEqual([12, 6, 4, 3, 2, 1, 1, 1]);
    const c = candidateGrids(1, 12);
    expect(c.every((g, i) => i === 0 || g[0] * g[1] >= c[i - 1][0] * c[i - 1][1])).toBe(true);
    expect(c).toHaveLength(35);
  });
});
