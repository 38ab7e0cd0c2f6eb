import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../../src/run.js';
import { createLogger } from '../../src/core/log.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
writeFileSync(join(dir, 'docs.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `Document ${i}: ${'some words '.repeat(20 + i)}` })).join('\n') + '\n');
let configs = 0;
const tiny = (extra = '') => {
  const file = join(dir, `tiny-${configs++}.yaml`);
  writeFileSync(file, `name: tiny\nsources:\n  - name: t\n    kind: text\n    paths: [docs.jsonl]\n${extra}`);
  return file;
};

/** Run with a logger that keeps the lines; the sizing line is the one that starts with "cpus:". */
async function sizing(config: string, opts: { cpus?: number; out: string }) {
  const lines: string[] = [];
  const res = await runPipeline(config, { ...opts, progress: false, log: createLogger('info', (l) => lines.push(l)) });
  const line = lines.filter((l) => l.includes('] info  cpus: '));
  expect(line).toHaveLength(1); // once per run
  return { line: line[0].replace(/^\[shardloom\] info {2}/, ''), res };
}

describe('run: pools sized from the CPU budget, said in one log line', () => {
  test('--cpus (RunOptions.cpus) sizes the tokenizer pool; the output does not depend on it', async () => {
    const three = await sizing(tiny(), { cpus: 3, out: join(dir, 'o3') });
    expect(three.line).toBe('cpus: 3 (--cpus) → tokenizer workers 3');
    const one = await sizing(tiny(), { cpus: 1, out: join(dir, 'o1') });
    expect(one.line).toBe('cpus: 1 (--cpus) → tokenizer workers 1');
    expect(one.res.index.shards.map((s) => s.files.map((f) => f.sha256))).toEqual(three.res.index.shards.map((s) => s.files.map((f) => f.sha256)));
  });

  test('run.cpus of the config, and tokenizer.workers when it is set', async () => {
    expect((await sizing(tiny('run:\n  cpus: 2\n'), { out: join(dir, 'o4') })).line).toBe('cpus: 2 (run.cpus) → tokenizer workers 2');
    expect((await sizing(tiny('run:\n  cpus: 2\n'), { cpus: 4, out: join(dir, 'o5') })).line).toBe('cpus: 4 (--cpus) → tokenizer workers 4');
    expect((await sizing(tiny('run:\n  cpus: 2\ntokenizer:\n  workers: 1\n'), { out: join(dir, 'o6') })).line).toBe('cpus: 2 (run.cpus) → tokenizer workers 1 (tokenizer.workers)');
  });

  test('detected when nothing is set: the reason is named', async () => {
    const { line } = await sizing(tiny(), { out: join(dir, 'o7') });
    expect(line).toMatch(/^cpus: (\d+) \((cgroup quota \d+\/\d+.*|sched affinity); node has \d+|whole node: no affinity or cgroup limit\) → tokenizer workers \d+$/);
  });

  test('with images and video: image tiling concurrency 2 × CPUs, clips in flight = CPUs', async () => {
    const { line } = await sizing('pipelines/sample.yaml', { cpus: 2, out: join(dir, 'sample') });
    expect(line).toBe('cpus: 2 (--cpus) → tokenizer workers 2, image tiling concurrency 4, video clips in flight 2');
  });

  test('a bad count from the library is a usage error before any work', async () => {
    await expect(runPipeline(tiny(), { cpus: 0, out: join(dir, 'o8'), progress: false })).rejects.toMatchObject({ code: 'USAGE', message: 'Expected --cpus to be a whole number ≥ 1 but received 0 of type number' });
  });
});

describe('CLI: shardloom run --cpus', () => {
  test('passes the count through to the run', () => {
    const r = cli(['run', tiny(), '--out', join(dir, 'c1'), '--cpus', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('[shardloom] info  cpus: 2 (--cpus) → tokenizer workers 2\n');
  });

  test('--cpus 0 / abc / 1.5 are usage errors (exit 2) naming the option and what it received', () => {
    for (const bad of ['0', 'abc', '1.5']) {
      const r = cli(['run', tiny(), '--out', join(dir, 'c2'), '--cpus', bad]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`shardloom: Expected --cpus to be a whole number ≥ 1 but received "${bad}" of type string\n`);
    }
  });
});
