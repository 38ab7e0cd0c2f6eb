/**
 * Token ids are part of the contract with a checkpoint: `tokenizer.expect` stops a run whose tokenizer
 * disagrees (exit 2, naming the key and its line), and `validate --config` checks the shards' ids (file
 * metadata, index.json, every token below the vocabulary size) against the config. validate says how
 * many failures it did not list.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { cli } from '../helpers/cli.js';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { loadConfig } from '../../src/config/load.js';
import { validateRun } from '../../src/shards/validate.js';

const dir = tempDir();
const quiet = { log: silentLogger, progress: false };

function config(name: string, tokenizer: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, [
    `name: ${name}`, 'output:', '  dir: out', 'tokenizer:', ...tokenizer.map((l) => `  ${l}`), '  workers: 1', 'sources:',
    '  - {name: t, kind: text, paths: ["data/short.jsonl"]}', 'pack:', '  maxTokens: 16', '',
  ].join('\n'));
  return path;
}

beforeAll(async () => {
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'short.jsonl'), Array.from({ length: 900 }, (_, i) => JSON.stringify({ text: `Document ${i}.` })).join('\n') + '\n');
  await runPipeline(config('qwen3', ['name: qwen3']), { ...quiet, out: join(dir, 'q3') });
});

describe('tokenizer.expect at start-up', () => {
  test('ids that differ from the expected ones stop the run before any work: exit 2, the key and its line', () => {
    const cfg = config('mismatch', ['name: qwen3', 'expect:', '  imgStart: 151665', '  imgContext: 151667']);
    const r = cli(['run', cfg, '--out', join(dir, 'never')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${cfg}:7: the tokenizer's ids differ from the ids the checkpoint expects`);
    expect(r.stderr).toContain('tokenizer.expect.imgStart: expected 151665 but tokenizer qwen3 gives 151669');
    expect(r.stderr).toContain('tokenizer.expect.imgContext: expected 151667 but tokenizer qwen3 gives 151671');
    expect(r.stderr).toMatch(/InternVL3 checkpoints use tokenizer.name: internvl3/);
  });

  test('matching ids (internvl3, with eos and vocabulary size) run', async () => {
    const cfg = config('match', ['name: internvl3', 'expect: {imgStart: 151665, imgEnd: 151666, imgContext: 151667, eos: 151643, vocabSize: 151674}']);
    const res = await runPipeline(cfg, { ...quiet, out: join(dir, 'ivl') });
    expect(res.index.tokenizer).toMatchObject({ name: 'internvl3', imgStart: 151665, eos: 151643, vocabSize: 151674 });
    expect((await validateRun(join(dir, 'ivl'), loadConfig(cfg))).ok).toBe(true);
  });

  test('a wrong end-of-sample id is caught too', async () => {
    const cfg = config('eos', ['name: internvl3', 'eos: "<|im_end|>"', 'expect: {eos: 151643}']);
    await expect(runPipeline(cfg, { ...quiet, out: join(dir, 'eos') })).rejects.toThrow(/tokenizer.expect.eos: expected 151643 but tokenizer internvl3 gives 151645/);
  });
});

describe('validate checks the ids of the shards', () => {
  test('qwen3 shards against an internvl3 config: the metadata and index.json ids are named', async () => {
    const r = await validateRun(join(dir, 'q3'), loadConfig(config('ivl-check', ['name: internvl3'])));
    const ids = r.failures.filter((f) => f.check === 'ids');
    expect(ids.map((f) => f.shard)).toEqual(expect.arrayContaining(['index.json', 'part-00000.parquet']));
    expect(ids.find((f) => f.shard === 'index.json')!.message).toBe('imgStart is 151669, the config expects 151665 (tokenizer.name)');
    expect(ids.some((f) => /vocabSize is 151672, the config expects 151674/.test(f.message))).toBe(true);
    // The same shards against their own preset pass.
    expect((await validateRun(join(dir, 'q3'), loadConfig(config('q3-check', ['name: qwen3'])))).failures.filter((f) => f.check === 'ids')).toEqual([]);
  });

  test('every token must lie inside the expected vocabulary; failures past the first 200 are counted, and the CLI says so', async () => {
    const cfg = config('small-vocab', ['name: qwen3', 'expect: {vocabSize: 100}']);
    const r = await validateRun(join(dir, 'q3'), loadConfig(cfg));
    expect(r.failures.filter((f) => f.check === "ids" && f.row !== undefined)[0].message).toMatch(/token id \d+ is outside the vocabulary of 100/);
    expect(r.failures).toHaveLength(200);
    expect(r.omitted).toBeGreaterThan(0);
    const c = cli(['validate', join(dir, 'q3'), '--config', cfg]);
    expect(c.status).toBe(1);
    expect(c.stdout).toContain(`… and ${r.omitted} more failure(s) not listed (the first 200 are shown)`);
    expect(c.stdout).toContain(`${200 + r.omitted} check(s) failed`);
  });
});
