/**
 * `run --dry-run` (the plan, nothing written) and `run --limit N` (a smoke run that never passes for the full one),
 * through the built CLI.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
mkdirSync(join(dir, 'data'));
for (const name of ['a', 'b']) {
  for (const part of [0, 1, 2]) {
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `${name}${part}-${i}`, text: `${name} document ${part}/${i} `.repeat(20) }));
    writeFileSync(join(dir, 'data', `${name}-${part}.jsonl`), lines.join('\n') + '\n');
  }
}
const yaml = [
  'name: smoke', 'output: {dir: out}', 'tokenizer: {workers: 1}', 'mix: {onExhausted: renormalize}', 'pack: {maxTokens: 512}',
  'sources:', '  - {name: a, kind: text, paths: ["data/a-*.jsonl"], weight: 0.5}', '  - {name: b, kind: text, paths: ["data/b-*.jsonl"], weight: 0.5}', '',
].join('\n');
const config = join(dir, 'smoke.yaml');
writeFileSync(config, yaml);
const json = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('run --dry-run', () => {
  test('prints sources, this rank\'s share, cpus and pools, the output plan and the effective config; writes nothing', () => {
    const out = join(dir, 'dry');
    const text = cli(['run', config, '--dry-run', '--out', out, '--rank', '1', '--world-size', '2', '--cpus', '3']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('dry run: nothing is written, no worker is started');
    expect(text.stdout).toContain('rank     1 of 2 (flags)');
    expect(text.stdout).toContain('cpus     3 CPUs: --cpus → tokenizer workers 1 (tokenizer.workers)');
    expect(text.stdout).toMatch(/ a \(text, weight 0\.5\): 3 file\(s\)/);
    expect(text.stdout).toMatch(/this rank reads 1 unit\(s\), .*; units per rank 1–2/);
    expect(text.stdout).toContain(`${join(out, 'rank-00001')}: does not exist (the run creates it)`);
    expect(text.stdout).toContain('effective config (defaults filled)');
    expect(text.stdout).toContain('field: text'); // a default the config does not write
    expect(text.stdout).toContain('first record (data/a-');
    expect(text.stdout.trimEnd().endsWith('OK: the run can start (shardloom run without --dry-run)')).toBe(true);
    expect(existsSync(out)).toBe(false);

    // --json: the same plan for a machine; every rank's share adds up to the files matched.
    const plans = [0, 1].map((rank) => json(cli(['run', config, '--dry-run', '--json', '--out', out, '--rank', String(rank), '--world-size', '2']).stdout));
    for (const p of plans) expect(p.sources.map((s: { matched: unknown[] }) => s.matched.length)).toEqual([3, 3]);
    expect(plans[0].sources[0].unitsPerRank).toEqual(plans[1].sources[0].unitsPerRank);
    const mine = plans.flatMap((p) => p.sources[0].mine.map((u: { path: string }) => u.path)).sort();
    expect(mine).toEqual(['data/a-0.jsonl', 'data/a-1.jsonl', 'data/a-2.jsonl']);
    expect(plans[0]).toMatchObject({ rank: { rank: 0, worldSize: 2 }, limit: null, problems: [], output: { dir: join(out, 'rank-00000'), formats: ['parquet'] } });
    expect(plans[0].effectiveConfig.sources[0].field).toBe('text');
    expect(existsSync(out)).toBe(false);
  });

  test('what the run would stop on is listed, and the exit is 2; a config error is the config error', () => {
    const out = join(dir, 'taken');
    mkdirSync(out);
    writeFileSync(join(out, 'run.json'), JSON.stringify({ configHash: 'someoneelse' }));
    writeFileSync(join(out, 'part-00000.parquet'), '');
    const r = cli(['run', config, '--dry-run', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`1 problem(s) the run would stop on:\n  output directory ${out} holds a run (1 shard(s)) of another config, someoneelse; pass --resume`);
    expect(cli(['run', config, '--dry-run', '--out', out, '--overwrite']).status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['part-00000.parquet', 'run.json']); // untouched
    writeFileSync(join(dir, 'bad.yaml'), yaml.replace('pack: {maxTokens: 512}', 'pack: {maxTokens: "16k"}'));
    const bad = cli(['run', join(dir, 'bad.yaml'), '--dry-run']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('bad.yaml:5: pack.maxTokens: must be integer but received "16k" of type string');
  });
});

describe('run --limit N', () => {
  const out = join(dir, 'limited');

  test('reads only the first N documents of each source; valid shards; index and stats say limit and the hash differs', () => {
    const r = cli(['run', config, '--limit', '7', '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Shards written to .* \(a limited run: the first 7 documents of each source; config [0-9a-f]{16}-limit7\)/);
    const index = json(readFileSync(join(out, 'index.json'), 'utf8'));
    const stats = json(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(index.limit).toBe(7);
    expect(stats.limit).toBe(7);
    expect(index.configHash).toMatch(/^[0-9a-f]{16}-limit7$/);
    expect(stats.records.read).toEqual({ a: 7, b: 7 });
    expect(index.complete).toBe(true);

    const v = cli(['validate', out]);
    expect(v.status, v.stdout).toBe(0);
    expect(v.stdout).toContain('note: a limited run (--limit 7): the first 7 documents of each source, not the full run\nOK: all checks passed');
    const withConfig = cli(['validate', out, '--config', config]);
    expect(withConfig.status).toBe(1);
    expect(withConfig.stdout).toMatch(/FAIL \[config\]: the shards were built with config [0-9a-f]{16}-limit7, .*smoke\.yaml is [0-9a-f]{16}\n/);
    expect(cli(['stats', out]).stdout.split('\n')[0]).toBe('a limited run (--limit 7): the first 7 documents of each source, not the full run');
  });

  test('--resume continues only a run with the same --limit; merge refuses a limited rank among full ones', () => {
    const full = cli(['run', config, '--out', out, '--resume', '--quiet']);
    expect(full.status).toBe(2);
    expect(full.stderr).toContain('The run there was limited (--limit 7), this one is a full run: resume with the same --limit');
    const same = cli(['run', config, '--out', out, '--resume', '--limit', '7', '--quiet']);
    expect(same.status, same.stderr).toBe(0);

    const ranks = join(dir, 'ranks');
    expect(cli(['run', config, '--out', ranks, '--rank', '0', '--world-size', '2', '--limit', '5', '--quiet']).status).toBe(0);
    expect(cli(['run', config, '--out', ranks, '--rank', '1', '--world-size', '2', '--quiet']).status).toBe(0);
    const merge = cli(['merge', ranks]);
    expect(merge.status).toBe(2);
    expect(merge.stderr).toMatch(/cannot merge ranks of different configs: config [0-9a-f]{16}-limit5 \(rank 0/);
  });
});
