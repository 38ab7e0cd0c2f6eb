/**
 * Mixes that mean what they say, end to end: long real text mixed with real caption pairs keeps every
 * source within one packed row of its target at every row boundary of the written shards (read back with
 * DuckDB); a cycled source's repeats carry their epoch and pass `validate`; every run ends with a mix
 * verdict, and `run --strict` fails a run whose own output would fail `validate`.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { writeTar } from '../helpers/media.js';
import { duck, lit } from '../helpers/duckdb.js';
import { cli } from '../helpers/cli.js';
import type { IndexJson, StatsJson } from '../../src/shards/index-file.js';

const dir = tempDir();
const MAX_TOKENS = 2048;

beforeAll(async () => {
  mkdirSync(join(dir, 'data'), { recursive: true });
  // Long real documents: licence texts (sample-data/text), 2-8 rows of 2048 tokens each.
  const lgpl = readFileSync('sample-data/text/lgpl-2.1.txt', 'utf8');
  const apache = readFileSync('sample-data/text/apache-2.0.jsonl', 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text).join('\n\n');
  const docs = Array.from({ length: 14 }, (_, i) => ({ id: `long-${i}`, text: (i % 2 ? lgpl : apache + '\n\n' + lgpl).slice(0, 8000 + ((i * 7919) % 30000)) }));
  writeFileSync(join(dir, 'data', 'long.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  // Real caption pairs: the sample's photos under many captions (img2dataset layout).
  const imgDir = 'sample-data/interleaved/images';
  const photos = ['09f9756b8681e3f3a12dfbc55999daeb4037a765.jpg', '2141d7ba02b208d7087e7956ed80cbccd3c3de6c.jpg', '49f24a312e1613a70606894d2104eaddedaf08f6.jpg', '78663a3901d1d25e59da5490afcb8be441279a6e.jpg', 'e89122c3c1c4951fc39323ea5897286536f32aa5.jpg', 'e8c33f441ed326dfbd6ac2ebe25797ed6b0da779.jpg'].map((f) => readFileSync(join(imgDir, f)));
  const members: [string, Buffer | string][] = [];
  for (let i = 0; i < 90; i++) {
    const key = String(i).padStart(9, '0');
    members.push([`${key}.jpg`, photos[i % photos.length]], [`${key}.txt`, `Photo ${i} of a development board, seen from ${['above', 'the left', 'the right'][i % 3]}.`]);
  }
  await writeTar(join(dir, 'data', 'pairs.tar'), members);
  await writeTar(join(dir, 'data', 'few.tar'), members.slice(0, 8 * 2));
});

function config(name: string, extra: { captions?: string; onExhausted: string; totalTokens?: number; tolerance?: number }): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, [
    `name: ${name}`, 'seed: 7', 'output:', `  dir: out-${name}`, '  shardMaxRows: 16', 'tokenizer:', '  name: internvl3', '  workers: 1', 'sources:',
    '  - {name: text, kind: text, paths: ["data/long.jsonl"], weight: 0.7}',
    `  - {name: captions, kind: caption, paths: ["data/${extra.captions ?? 'pairs.tar'}"], weight: 0.3}`,
    'mix:', `  onExhausted: ${extra.onExhausted}`, ...(extra.totalTokens ? [`  totalTokens: ${extra.totalTokens}`] : []),
    'pack:', `  maxTokens: ${MAX_TOKENS}`, '  maxTiles: 12', 'images:', '  maxTiles: 2', 'compute:', '  concurrency: 2',
    'validate:', `  ratioTolerance: ${extra.tolerance ?? 0.05}`, '  maxRejectFraction: 0',
    '',
  ].join('\n'));
  return path;
}

/** Sources and token counts of every written row, in shard and row order, read back with DuckDB. */
async function writtenRows(out: string): Promise<{ sources: string[]; lengths: number[] }[]> {
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as IndexJson;
  const files = index.shards.map((s) => join(out, s.files.find((f) => f.format === 'parquet')!.path));
  const rows = await duck(`SELECT sample_sources AS s, sample_lengths AS l FROM read_parquet([${files.map(lit).join(', ')}], filename = true, file_row_number = true) ORDER BY filename, file_row_number`);
  return rows.map((r) => ({ sources: r.s as string[], lengths: (r.l as number[]).map(Number) }));
}

describe('mix by tokens, measured on the written shards', () => {
  test('long real text + caption pairs: each source within one packed row of target × total at every row boundary', async () => {
    const cfg = config('long', { onExhausted: 'stop' });
    const r = cli(['run', cfg, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const rows = await writtenRows(join(dir, 'out-long'));
    expect(rows.length).toBeGreaterThan(30);
    const target: Record<string, number> = { text: 0.7, captions: 0.3 };
    const tokens: Record<string, number> = { text: 0, captions: 0 };
    let total = 0;
    let worst = 0;
    let chunked = 0;
    // `stop`: the last row is written after a source ran out; every boundary before it counts.
    for (const row of rows.slice(0, -1)) {
      row.sources.forEach((s, i) => { tokens[s] += row.lengths[i]; total += row.lengths[i]; });
      chunked += row.lengths.filter((n) => n === MAX_TOKENS).length;
      for (const s of Object.keys(target)) worst = Math.max(worst, Math.abs(tokens[s] - target[s] * total));
    }
    expect(chunked).toBeGreaterThan(10); // the documents really were longer than a row
    expect(worst).toBeLessThanOrEqual(MAX_TOKENS);
    expect(cli(['validate', join(dir, 'out-long'), '--config', cfg]).status).toBe(0);
  });

  test('cycle: repeats carry their epoch (@eN), validate passes, the verdict reports the epochs', async () => {
    const cfg = config('cycle', { captions: 'few.tar', onExhausted: 'cycle', totalTokens: 60_000 });
    const r = cli(['run', cfg, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const out = join(dir, 'out-cycle');
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')) as StatsJson;
    expect(stats.share.captions.epochs).toBeGreaterThan(2);
    const ids = (await duck(`SELECT unnest(sample_ids) AS id FROM read_parquet(${lit(join(out, '*.parquet'))})`)).map((x) => String(x.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => /\.tar\/000000003@e2$/.test(id))).toHaveLength(1);
    expect(ids.filter((id) => /\.tar\/000000003(@e\d+)?$/.test(id)).length).toBeGreaterThan(2);
    const v = cli(['validate', out, '--config', cfg]);
    expect(v.stdout).toMatch(/OK: all checks passed/);
    expect(v.status).toBe(0);
    expect(stats.mixVerdict!.sources.captions).toMatchObject({ epochs: stats.share.captions.epochs, withinTolerance: true });
    expect(r.stderr).toMatch(/mix: every source within ±5\.00 points of its target/);
    expect(r.stderr).toMatch(/mix: {3}captions: target 30\.00 %, realised [\d.]+ % \([+-][\d.]+ points\) — \d+ epochs/);
  });

  test('a source that runs dry: the verdict says so; run --strict exits 1 because validate would fail', async () => {
    const cfg = config('dry', { captions: 'few.tar', onExhausted: 'renormalize', tolerance: 0.02 });
    const plain = cli(['run', cfg, '--quiet']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/mix: NOT every source within ±2\.00 points/);
    expect(plain.stderr).toMatch(/captions: target 30\.00 %, realised [\d.]+ % .*ran dry at [\d,]+ tokens \(renormalize\); OUTSIDE tolerance/);
    const stats = JSON.parse(readFileSync(join(dir, 'out-dry', 'stats.json'), 'utf8')) as StatsJson;
    expect(stats.mixVerdict).toMatchObject({ ok: false, onExhausted: 'renormalize', stoppedBy: 'sources' });
    expect(stats.mixVerdict!.sources.captions.ranDryAtTokens).toBeGreaterThan(0);
    expect(cli(['validate', join(dir, 'out-dry'), '--config', cfg]).status).toBe(1);
    const strict = cli(['run', cfg, '--quiet', '--strict', '--overwrite']);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(/strict: FAIL \[ratio\]: source "captions"/);
    expect(strict.stderr).toMatch(/strict: the run's output fails validate/);
    // A run that passes: --strict exits 0.
    const good = cli(['run', config('long', { onExhausted: 'stop' }), '--quiet', '--strict', '--overwrite']);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stderr).not.toMatch(/strict: FAIL/);
  });
});
