import { describe, expect, test } from 'vitest';
import { chmodSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { planJob } from '../../src/scale/plan.js';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { readShardRows } from '../../src/shards/parquet-io.js';
import { validateRun } from '../../src/shards/validate.js';
import { loadConfig } from '../../src/config/load.js';
import { mergeRuns } from '../../src/scale/merge.js';
import type { IndexJson, StatsJson } from '../../src/shards/index-file.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const quiet = { log: silentLogger, progress: false, env: {} };

/** Six JSONL files over two sources (one bad line for a reject), and a pipeline with small shards. */
function writeInputs(): string {
  const words = 'the quick brown fox jumps over a lazy dog while seven pale wizards hex every quirky jumbo vow'.split(' ');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const files = [['web', 4], ['books', 2]] as const;
  for (const [name, n] of files) {
    for (let f = 0; f < n; f++) {
      const lines: string[] = [];
      for (let i = 0; i < 25 + 7 * f; i++) {
        const len = 5 + ((i * 37 + f * 11) % 60);
        lines.push(JSON.stringify({ id: `${name}-${f}-${i}`, text: Array.from({ length: len }, (_, k) => words[(i + k * 3 + f) % words.length]).join(' ') }));
      }
      if (name === 'web' && f === 1) lines.splice(3, 0, '{not json');
      writeFileSync(join(dir, 'data', `${name}-${f}.jsonl`), lines.join('\n') + '\n');
    }
  }
  const yaml = [
    'name: scale-e2e', 'seed: 7', 'output:', '  dir: out', '  shardMaxRows: 6', 'tokenizer:', '  name: qwen3', 'sources:',
    '  - { name: web, kind: text, paths: ["data/web-*.jsonl"], idField: id, weight: 0.7 }',
    '  - { name: books, kind: text, paths: ["data/books-*.jsonl"], idField: id, weight: 0.3 }',
    'pack:', '  maxTokens: 256', 'validate:', '  ratioTolerance: 0.5', '  maxRejectFraction: 0.5', '  minFill: 0', '',
  ].join('\n');
  writeFileSync(join(dir, 'pipeline.yaml'), yaml);
  return join(dir, 'pipeline.yaml');
}

async function sampleIds(root: string, index: IndexJson): Promise<string[]> {
  const ids: string[] = [];
  for (const s of index.shards) for await (const r of readShardRows(join(root, s.files[0].path))) ids.push(...r.sampleIds);
  return ids.sort();
}

const config = writeInputs();
let oneRun: Promise<Awaited<ReturnType<typeof runPipeline>>> | undefined;
/** The reference: the same pipeline as one rank (run once, shared by the tests). */
const oneRank = () => (oneRun ??= runPipeline(config, { ...quiet, out: join(dir, 'one') }));

describe('end to end: 2 ranks + merge vs 1 rank', () => {

  test('the merged run holds the same samples as a one-rank run, and validates', async () => {
    const one = await oneRank();
    const multi = join(dir, 'multi');
    const r0 = await runPipeline(config, { ...quiet, out: multi, rank: 0, worldSize: 2 });
    const r1 = await runPipeline(config, { ...quiet, out: multi, rank: 1, worldSize: 2 });
    expect(r0.outDir).toBe(join(multi, 'rank-00000'));
    expect(r0.index.totals.samples).toBeGreaterThan(0);
    expect(r1.index.totals.samples).toBeGreaterThan(0);

    const merged = await mergeRuns(multi);
    expect(merged.index.complete).toBe(true);
    expect(merged.index.configHash).toBe(one.index.configHash);
    expect(merged.index.totals.tokens).toBe(r0.index.totals.tokens + r1.index.totals.tokens);
    expect(merged.index.totals.tokens).toBe(one.index.totals.tokens);

    const single = await sampleIds(one.outDir, one.index);
    expect(single.length).toBeGreaterThan(100);
    expect(await sampleIds(multi, merged.index as unknown as IndexJson)).toEqual(single);

    const stats: StatsJson = JSON.parse(readFileSync(join(multi, 'stats.json'), 'utf8'));
    expect(stats.records.read).toEqual(one.stats.records.read);
    expect(stats.records.rejected).toEqual(one.stats.records.rejected);
    expect(stats.rejectsByReason).toEqual(one.stats.rejectsByReason);
    expect(stats.share.web.tokens).toBe(one.stats.share.web.tokens);
    expect(stats.share.books.samples).toBe(one.stats.share.books.samples);
    expect(readFileSync(join(multi, 'rejects.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    // What the report and validate read is kept: the same samples, so the same per-sample histograms; a verdict.
    expect(stats.textTokensPerSample!.counts).toEqual(one.stats.textTokensPerSample!.counts);
    expect(stats.textTokensPerSample!.max).toBe(one.stats.textTokensPerSample!.max);
    expect(stats.mixVerdict!.tolerance).toBe(0.5);
    expect(Object.keys(stats.mixVerdict!.sources)).toEqual(['books', 'web']);
    expect(stats.mixVerdict!.ok).toBe(true);

    const report = await validateRun(multi, loadConfig(config));
    expect(report.failures).toEqual([]);
    expect(report.measured.tokens).toBe(one.index.totals.tokens);
  });
});

/**
 * The Slurm plan, executed: a stand-in `sbatch` runs each array task in turn (then the dependent job), and the
 * jobs run what `plan` wrote by default: this node and the built CLI (dist/cli/main.js) by absolute path.
 */
describe('end to end: the generated Slurm script, run', () => {
  test('array of 2 ranks, then merge + validate, gives the samples of a one-rank run', async () => {
    const bin = join(dir, 'slurm-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'sbatch'), [
      '#!/bin/sh',
      'for a in "$@"; do script="$a"; done',
      'n=$(sed -n "s/^#SBATCH --array=0-\\([0-9]*\\).*/\\1/p" "$script")',
      'if [ -n "$n" ]; then',
      '  for t in $(seq 0 "$n"); do SLURM_ARRAY_TASK_ID=$t bash "$script" >> "$0.log" 2>&1 || exit 1; done',
      '  echo "500;sim"',
      'else',
      '  bash "$script" >> "$0.log" 2>&1 || exit 1',
      '  echo 501',
      'fi',
      '',
    ].join('\n'));
    chmodSync(join(bin, 'sbatch'), 0o755);
    const out = join(dir, 'slurm-out');
    const plan = planJob(loadConfig(config), { executor: 'slurm', worldSize: 2, out });
    expect(plan.text).toContain(`\nexec ${process.execPath} ${resolve('dist/cli/main.js')} run ${config} --rank "$SLURM_ARRAY_TASK_ID" --world-size 2 `);
    writeFileSync(join(dir, plan.fileName), plan.text);
    const r = spawnSync('bash', [join(dir, plan.fileName)], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 120_000 });
    const log = (() => { try { return readFileSync(join(bin, 'sbatch.log'), 'utf8'); } catch { return ''; } })();
    expect(r.stderr + log.slice(-2000)).not.toMatch(/error|FAIL/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('submitted 2 ranks: job array 500\nsubmitted merge + validate: job 501 (runs when job 500 has succeeded)\n');
    expect(log).toContain('OK: all checks passed');
    const index: IndexJson = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.worldSize).toBe(2);
    const one = await oneRank();
    expect(await sampleIds(out, index)).toEqual(await sampleIds(one.outDir, one.index));
  });
});

describe('what the generated jobs rely on', () => {
  test('a finished rank run again with --resume (a requeued task) leaves the same index; a rank with no input writes an empty one', async () => {
    // Reuse the finished rank of the first test when it ran (each pipeline run costs seconds here).
    const out = join(dir, 'multi');
    if (!existsSync(join(out, 'rank-00001', 'index.json'))) await runPipeline(config, { ...quiet, out, rank: 1, worldSize: 2 });
    const first = readFileSync(join(out, 'rank-00001', 'index.json'), 'utf8');
    await runPipeline(config, { ...quiet, out, rank: 1, worldSize: 2, resume: true });
    expect(readFileSync(join(out, 'rank-00001', 'index.json'), 'utf8')).toBe(first);
    // 6 input files, 8 ranks: rank 7 has nothing to read.
    const empty = await runPipeline(config, { ...quiet, out: join(dir, 'wide'), rank: 7, worldSize: 8 });
    expect(empty.index).toMatchObject({ complete: true, rank: 7, worldSize: 8, totals: { shards: 0, rows: 0 } });
  });
});
