import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ShardloomError } from '../../src/core/errors.js';
import { baseYaml, configErrorOf } from '../helpers/config.js';

const base = baseYaml;
const errorOf = configErrorOf;

describe('config: run.cpus', () => {
  test('a whole number is kept; absent, it stays absent (detected at run time) and the hash is what it was', () => {
    expect(parseConfig(base + 'run:\n  cpus: 4\n', 'p.yaml').run).toEqual({ maxConsecutiveRejects: 100, progressInterval: 10, cpus: 4 });
    const without = parseConfig(base, 'p.yaml');
    expect(without.run).toEqual({ maxConsecutiveRejects: 100, progressInterval: 10 });
    expect(without.run.cpus).toBeUndefined();
    // No default: configs that do not set it keep the hash their shards already carry.
    expect(parseConfig(base + 'run:\n  progressInterval: 10\n', 'q.yaml').configHash).toBe(without.configHash);
    expect(parseConfig(base + 'run:\n  cpus: 4\n', 'p.yaml').configHash).not.toBe(without.configHash);
  });

  test('bad values name the key, the line and what was received', () => {
    const e = errorOf(base + 'run:\n  progressInterval: 5\n  cpus: 0\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('p.yaml:7: run.cpus: must be >= 1 but received 0 of type number');
    expect(errorOf(base + 'run:\n  cpus: 1.5\n').message).toContain('p.yaml:6: run.cpus: must be integer but received 1.5 of type number');
    expect(errorOf(base + 'run:\n  cpus: "4"\n').message).toContain('p.yaml:6: run.cpus: must be integer but received "4" of type string');
    expect(errorOf(base + 'run:\n  cpu: 4\n').message).toContain('p.yaml:6: run.cpu: unknown key (allowed here: maxConsecutiveRejects, progressInterval, cpus)');
  });
});
