/**
 * A source's files are read in one order wherever its config sits: a source with files both below the
 * config's directory and beside it (`../data`) used to be ordered by the config-relative path, whose `../`
 * sorts before any name, so moving the config (or writing absolute paths from elsewhere) reordered them.
 */
import { describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandPaths } from '../../src/sources/units.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('shardloom-order-');
for (const f of ['proj/cfg/local/b.jsonl', 'proj/data/a.jsonl', 'proj/data/c.jsonl', 'proj/cfg/-x.jsonl']) {
  mkdirSync(join(root, f, '..'), { recursive: true });
  writeFileSync(join(root, f), '{"text":"x"}\n');
}
const paths = async (patterns: string[], baseDir: string) => (await expandPaths('s', patterns, baseDir)).units.map((u) => u.path);

describe('input units: the same files in the same order wherever the config is', () => {
  test('config in proj/cfg (relative), in proj (relative), elsewhere (absolute)', async () => {
    const p = join(root, 'proj');
    const inCfg = await paths(['../data/*.jsonl', 'local/*.jsonl', '*.jsonl'], join(p, 'cfg'));
    const inProj = await paths(['data/*.jsonl', 'cfg/local/*.jsonl', 'cfg/*.jsonl'], p);
    const elsewhere = await paths([`${p}/data/*.jsonl`, `${p}/cfg/local/*.jsonl`, `${p}/cfg/*.jsonl`], join(root, 'x', 'y'));
    const expected = ['cfg/-x.jsonl', 'cfg/local/b.jsonl', 'data/a.jsonl', 'data/c.jsonl'].map((f) => join(p, f));
    expect(inCfg).toEqual(expected);
    expect(inProj).toEqual(expected);
    expect(elsewhere).toEqual(expected);
  });
});
