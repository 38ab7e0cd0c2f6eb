import { describe, expect, test } from 'vitest';
import { v2pePositions, drawV2peDelta } from '../../src/pack/v2pe.js';
import { rngFor } from '../../src/core/rng.js';

const S = { imgStart: 900, imgEnd: 901, imgContext: 902 };
const T = 5; // any text token
const img = (n: number) => [S.imgStart, ...Array(n).fill(S.imgContext), S.imgEnd];
const pos = (ids: number[], deltas: number[]) => Array.from(v2pePositions(Int32Array.from(ids), S, deltas));

describe('V2PE positions', () => {
  test('text only: 0, 1, 2, …', () => {
    expect(pos([T, T, T], [])).toEqual([0, 1, 2]);
  });

  test('δ = 1 (stride 256) gives plain positions through an image', () => {
    expect(pos([T, ...img(3), T], [1])).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test('δ = 0.5: visual tokens advance by half; </img> at ceil(last) + 1', () => {
    // <img> at 1; ctx 1.5, 2, 2.5; last visual 2.5 → </img> at ceil(2.5) + 1 = 4; next text 5
    expect(pos([T, ...img(3), T], [0.5])).toEqual([0, 1, 1.5, 2, 2.5, 4, 5]);
  });

  test('δ = 1/256 over a 256-token tile: the whole tile spans one position', () => {
    const p = pos([...img(256), T], [1 / 256]);
    expect(p[0]).toBe(0);
    expect(p[1]).toBeCloseTo(1 / 256, 7);
    expect(p[256]).toBe(1);
    expect(p[257]).toBe(2); // </img> = ceil(1) + 1
    expect(p[258]).toBe(3);
  });

  test('several images with different δ; an image at the very start and at the very end', () => {
    // image A (2 ctx, δ 0.25) at 0: ctx 0.25, 0.5 → </img> ceil(0.5)+1 = 2; text 3;
    // image B (2 ctx, δ 1/64) at 4: ctx 4.015625, 4.03125 → </img> 6
    expect(pos([...img(2), T, ...img(2)], [0.25, 1 / 64])).toEqual([0, 0.25, 0.5, 2, 3, 4, 4.015625, 4.03125, 6]);
  });

  test('δ drawn per image from a list with the seeded RNG; a fixed stride is δ = stride/256', () => {
    expect(drawV2peDelta(256, rngFor(1, 'x'))).toBe(1);
    expect(drawV2peDelta(64, rngFor(1, 'x'))).toBe(0.25);
    const list = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    const a = rngFor(5, 'v2pe');
    const b = rngFor(5, 'v2pe');
    const draws = Array.from({ length: 200 }, () => drawV2peDelta(list, a));
    expect(draws).toEqual(Array.from({ length: 200 }, () => drawV2peDelta(list, b)));
    expect(new Set(draws)).toEqual(new Set(list.map((s) => s / 256)));
  });
});
