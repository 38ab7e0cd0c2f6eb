import { describe, expect, test } from 'vitest';
import { resolveRank } from '../../src/scale/rank.js';
import { assignUnits } from '../../src/sources/assign.js';
import { expandBraces } from '../../src/sources/units.js';
import type { InputUnit } from '../../src/sources/units.js';

describe('rank and world size', () => {
  test('flags win; then Slurm arrays; then Kubernetes Indexed Jobs; default is 0 of 1', () => {
    expect(resolveRank({}, {})).toEqual({ rank: 0, worldSize: 1, from: 'default' });
    expect(resolveRank({ rank: 2, worldSize: 4 }, { SLURM_ARRAY_TASK_ID: '1' })).toMatchObject({ rank: 2, worldSize: 4 });
    expect(resolveRank({}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ rank: 3, worldSize: 8, from: 'Slurm array' });
    expect(resolveRank({}, { SLURM_ARRAY_TASK_ID: '13', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_COUNT: '4' })).toMatchObject({ rank: 3, worldSize: 4 });
    expect(resolveRank({ worldSize: 5 }, { JOB_COMPLETION_INDEX: '4' })).toEqual({ rank: 4, worldSize: 5, from: 'Kubernetes Indexed Job' });
    expect(resolveRank({}, { JOB_COMPLETION_INDEX: '1', SHARDLOOM_WORLD_SIZE: '2' })).toMatchObject({ rank: 1, worldSize: 2 });
  });

  test('errors name the variable and the value', () => {
    expect(() => resolveRank({}, { JOB_COMPLETION_INDEX: '1' })).toThrow(/needs a world size: pass --world-size N or set SHARDLOOM_WORLD_SIZE/);
    expect(() => resolveRank({ rank: 4, worldSize: 4 }, {})).toThrow('rank 4 is not below the world size 4');
    expect(() => resolveRank({}, { SLURM_ARRAY_TASK_ID: 'x1', SLURM_ARRAY_TASK_COUNT: '2' })).toThrow('Expected a non-negative integer for SLURM_ARRAY_TASK_ID but received "x1"');
    expect(() => resolveRank({ rank: 0, worldSize: 0 }, {})).toThrow(/at least 1/);
  });
});

describe('unit assignment', () => {
  const units = (sizes: number[]): InputUnit[] => sizes.map((size, i) => ({ source: 's', path: `/d/f${String(i).padStart(2, '0')}`, display: `f${String(i).padStart(2, '0')}`, size }));

  test('every unit goes to exactly one rank, balanced by size, deterministically', () => {
    const us = units([100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5, 1]);
    const parts = [0, 1, 2].map((r) => assignUnits(us, r, 3));
    expect(parts.flat().map((u) => u.display).sort()).toEqual(us.map((u) => u.display).sort());
    const loads = parts.map((p) => p.reduce((a, u) => a + u.size, 0));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(100);
    expect(assignUnits([...us].reverse(), 1, 3)).toEqual(parts[1]);
    for (const p of parts) expect(p.map((u) => u.display)).toEqual([...p.map((u) => u.display)].sort());
  });

  test('world size 1 keeps everything; more ranks than units leaves some empty', () => {
    const us = units([5, 3]);
    expect(assignUnits(us, 0, 1)).toEqual(us);
    expect([0, 1, 2, 3].map((r) => assignUnits(us, r, 4).length)).toEqual([1, 1, 0, 0]);
  });

  test('brace ranges keep zero padding; lists expand', () => {
    expect(expandBraces('shards/{00008..00011}.tar')).toEqual(['shards/00008.tar', 'shards/00009.tar', 'shards/00010.tar', 'shards/00011.tar']);
    expect(expandBraces('{a,b}/{1..2}.jsonl')).toEqual(['a/1.jsonl', 'a/2.jsonl', 'b/1.jsonl', 'b/2.jsonl']);
    expect(expandBraces('plain.txt')).toEqual(['plain.txt']);
  });
});
