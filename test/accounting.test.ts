/**
 * What a run counts and where it writes: every input record counted once in stats.records.read (a
 * document rejected later, by the media stage, is not counted again), so maxRejectFraction sees the real
 * fraction; an absolute output.dir is used as written, a relative one is relative to the config file.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/tmp.js';
import { writeTar } from './helpers/media.js';
import { runPipeline } from '../src/run.js';
import { silentLogger } from '../src/core/log.js';
import { loadConfig } from '../src/config/load.js';
import { outputDirOf } from '../src/config/types.js';
import { planJob } from '../src/scale/plan.js';

const dir = tempDir();
const quiet = { log: silentLogger, progress: false };
const photo = readFileSync('sample-data/interleaved/images/mmc4-1.jpg');

beforeAll(async () => {
  mkdirSync(join(dir, 'cfg', 'data'), { recursive: true });
  writeFileSync(join(dir, 'cfg', 'data', 'text.jsonl'), ['{"text": "one"}', '{"text": "two"}', '{not json', '{"text": "three"}'].join('\n') + '\n');
  await writeTar(join(dir, 'cfg', 'data', 'pairs.tar'), [
    ['000000000.jpg', photo], ['000000000.txt', 'a board'],
    ['000000001.jpg', Buffer.from('not an image at all')], ['000000001.txt', 'undecodable: rejected by the media stage'],
    ['000000002.jpg', photo], ['000000002.txt', 'the board again'],
    ['000000003.txt', 'a caption without its image: rejected by the reader'],
  ]);
});

const yaml = (outDir: string) => [
  'name: accounting', 'output:', `  dir: ${outDir}`, 'tokenizer: {workers: 1}', 'sources:',
  '  - {name: text, kind: text, paths: ["data/text.jsonl"]}', '  - {name: pairs, kind: caption, paths: ["data/pairs.tar"]}',
  'mix: {onExhausted: renormalize}', 'images: {maxTiles: 2}', '',
].join('\n');

describe('records are counted once', () => {
  test('read = documents + records rejected before they became one; a media reject is not counted twice', async () => {
    const cfg = join(dir, 'cfg', 'count.yaml');
    writeFileSync(cfg, yaml('out-count'));
    const { stats } = await runPipeline(cfg, quiet);
    // text: 4 lines, one malformed. pairs: 4 keys — 2 good, 1 undecodable (media stage), 1 without image (reader).
    expect(stats.records.read).toEqual({ pairs: 4, text: 4 });
    expect(stats.records.rejected).toEqual({ pairs: 2, text: 1 });
    expect(stats.records.rejectFraction).toBeCloseTo(3 / 8, 10);
    expect(stats.share.pairs.samples + stats.share.text.samples).toBe(8 - 3);
  });
});

describe('output.dir', () => {
  test('an absolute output.dir is used as written (the run, plan); a relative one is relative to the config file', async () => {
    const abs = join(dir, 'elsewhere', 'shards');
    const cfg = join(dir, 'cfg', 'abs.yaml');
    writeFileSync(cfg, yaml(abs));
    expect(outputDirOf(loadConfig(cfg))).toBe(abs);
    const res = await runPipeline(cfg, quiet);
    expect(res.outDir).toBe(abs);
    expect(existsSync(join(abs, 'index.json'))).toBe(true);
    expect(existsSync(join(dir, 'cfg', dir.slice(1)))).toBe(false);
    const rel = join(dir, 'cfg', 'rel.yaml');
    writeFileSync(rel, yaml('../rel-out'));
    expect(outputDirOf(loadConfig(rel))).toBe(join(dir, 'rel-out'));
    const job = planJob(loadConfig(cfg), { executor: 'slurm', worldSize: 2 });
    expect(job.text).toContain(`into ${abs}/rank-KKKKK/`);
  });
});

describe('a run that fails', () => {
  test('a long run of rejects stops it: index.json says incomplete and why, the unfinished shard is removed', async () => {
    const cfg = join(dir, 'cfg', 'broken.yaml');
    writeFileSync(join(dir, 'cfg', 'data', 'broken.jsonl'), [...Array.from({ length: 3000 }, (_, i) => `{"text": "${"fine ".repeat(80)}${i}"}`), ...Array.from({ length: 30 }, () => '{broken')].join('\n') + '\n');
    writeFileSync(cfg, ['name: broken', 'output: {dir: out-broken}', 'tokenizer: {workers: 1}', 'run: {maxConsecutiveRejects: 5}', 'pack: {maxTokens: 16}', 'sources:', '  - {name: t, kind: text, paths: ["data/broken.jsonl"]}', ''].join('\n'));
    await expect(runPipeline(cfg, quiet)).rejects.toThrow(/source "t": 5 records in a row were rejected .*Your data or config is broken/);
    const out = join(dir, 'cfg', 'out-broken');
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.complete).toBe(false);
    expect(index.error).toMatch(/5 records in a row were rejected/);
    // Rows had been written to an unfinished shard (3 000 good documents come first, tokenized in batches of
    // 256 K characters): it is removed; what is left is exactly the finished shards the index lists.
    const listed = index.shards.flatMap((sh: { files: { path: string }[] }) => sh.files.map((f) => f.path)).sort();
    expect(readdirSync(out).filter((n) => n.startsWith('part-')).sort()).toEqual(listed);
  });

  test('a wrong field found only after the first records: the breaker names the fields the records have', async () => {
    const cfg = join(dir, 'cfg', 'late-field.yaml');
    writeFileSync(join(dir, 'cfg', 'data', 'late-field.jsonl'), [...Array.from({ length: 150 }, (_, i) => `{"text": "fine ${i}"}`), ...Array.from({ length: 10 }, (_, i) => `{"body": "renamed ${i}", "url": "u${i}"}`)].join('\n') + '\n');
    writeFileSync(cfg, ['name: late-field', 'output: {dir: out-late-field}', 'tokenizer: {workers: 1}', 'run: {maxConsecutiveRejects: 5}', 'sources:', '  - {name: t, kind: text, paths: ["data/late-field.jsonl"]}', ''].join('\n'));
    await expect(runPipeline(cfg, quiet)).rejects.toThrow(/5 records in a row were rejected \(last: field\.missing at data\/late-field\.jsonl line 155: no "text" field; the record has the fields "body", "url"\)/);
  });
});

