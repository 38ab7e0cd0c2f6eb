import { describe, expect, test } from 'vitest';
import { assignUnits } from '../../src/sources/assign.js';
import { splitUnits, type InputUnit, type Piece } from '../../src/sources/units.js';

const units = (sizes: number[]): InputUnit[] => sizes.map((size, i) => ({ source: 's', path: `/d/f${i}`, display: `f${i}`, size }));
/** Every file splits into equal byte pieces of `piece` bytes (a tar's samples). */
const bytePieces = (piece: number) => (u: InputUnit): Promise<Piece[]> =>
  Promise.resolve(Array.from({ length: Math.ceil(u.size / piece) }, (_, i) => {
    const start = i * piece;
    const end = Math.min(u.size, start + piece);
    return { part: { kind: 'bytes' as const, start, end }, bytes: end - start };
  }));

describe('splitting big files into parts', () => {
  test('world size 1: the same list, untouched (a single-rank run reads as before)', async () => {
    const us = units([1000, 10]);
    expect(await splitUnits(us, 1, bytePieces(10))).toBe(us);
  });

  test('only files above 1/(2·worldSize) of the bytes split, into contiguous parts covering the file, in file order', async () => {
    const us = units([600, 100, 100]); // total 800; at 2 ranks the limit is 200
    const parts = await splitUnits(us, 2, bytePieces(50));
    expect(parts.filter((u) => u.display !== 'f0')).toEqual(us.slice(1));
    const f0 = parts.filter((u) => u.display === 'f0');
    expect(f0.length).toBe(3);
    expect(f0.map((u) => u.part)).toEqual([{ kind: 'bytes', start: 0, end: 200 }, { kind: 'bytes', start: 200, end: 400 }, { kind: 'bytes', start: 400, end: 600 }]);
    expect(f0.map((u) => u.size)).toEqual([200, 200, 200]);
    expect(parts.map((u) => u.display)).toEqual(['f0', 'f0', 'f0', 'f1', 'f2']);
  });

  test('never more parts than pieces; a file that cannot be split (null) stays whole', async () => {
    const one = await splitUnits(units([1000]), 8, bytePieces(400));
    expect(one.map((u) => u.part)).toEqual([{ kind: 'bytes', start: 0, end: 400 }, { kind: 'bytes', start: 400, end: 800 }, { kind: 'bytes', start: 800, end: 1000 }]);
    expect(await splitUnits(units([1000]), 8, () => null)).toEqual(units([1000]));
  });

  test('row groups join into ranges with their rows; ranks get all parts once, deterministically, in file order', async () => {
    const rg = (u: InputUnit): Promise<Piece[]> => Promise.resolve(Array.from({ length: 4 }, (_, g) => ({ part: { kind: 'row-groups' as const, start: g, end: g + 1, firstRow: g * 10, endRow: g * 10 + 10 }, bytes: u.size / 4 })));
    const parts = await splitUnits(units([400]), 3, rg);
    expect(parts.map((u) => u.part)).toEqual([
      { kind: 'row-groups', start: 0, end: 1, firstRow: 0, endRow: 10 },
      { kind: 'row-groups', start: 1, end: 2, firstRow: 10, endRow: 20 },
      { kind: 'row-groups', start: 2, end: 3, firstRow: 20, endRow: 30 },
      { kind: 'row-groups', start: 3, end: 4, firstRow: 30, endRow: 40 },
    ]);
    const ranks = [0, 1, 2].map((r) => assignUnits(parts, r, 3));
    expect(ranks.every((r) => r.length > 0)).toBe(true);
    expect(ranks.flat().map((u) => u.part!.start).sort()).toEqual([0, 1, 2, 3]);
    for (const r of ranks) expect(r.map((u) => u.part!.start)).toEqual(r.map((u) => u.part!.start).sort());
    expect(assignUnits([...parts].reverse(), 1, 3)).toEqual(ranks[1]);
  });

  test('uneven pieces: parts are as even as the pieces allow, and each has at least one', async () => {
    const sizes = [5, 5, 5, 300, 5, 5, 5, 5];
    const pieces = (): Promise<Piece[]> => {
      let at = 0;
      return Promise.resolve(sizes.map((b) => ({ part: { kind: 'bytes' as const, start: at, end: (at += b) }, bytes: b })));
    };
    const parts = await splitUnits(units([335]), 2, pieces);
    expect(parts.length).toBe(4);
    expect(parts.map((u) => u.size).reduce((a, b) => a + b)).toBe(335);
    expect(parts.every((u) => u.size > 0)).toBe(true);
    expect(parts.map((u) => u.part!.start)).toEqual([...parts.map((u) => u.part!.start)].sort((a, b) => a - b));
  });
});
