/**
 * The conformance suite's round trip (the reader cases are test/sources/conformance.test.ts): for each source
 * kind, one small run whose sources are the good input of every format of that kind (test/helpers/
 * conformance.ts) — documents read, images and frames tiled, tokenized, packed, written — and the shards read
 * back with DuckDB: every document's id is in `sample_ids` exactly once, and nothing else is; no image is
 * dropped and nothing is rejected.
 */
import { describe, expect, test } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceKind } from '../../src/core/model.js';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { tempDir } from '../helpers/tmp.js';
import { duck, lit } from '../helpers/duckdb.js';
import { fixtures } from '../helpers/conformance.js';

const root = tempDir();
const N = 4;

async function roundTrip(kind: SourceKind) {
  const dir = join(root, kind);
  const sources: string[] = [];
  const expected: string[] = [];
  for (const fx of fixtures.filter((f) => f.kind === kind)) {
    const sub = fx.name.replace(/[^a-z0-9]+/gi, '-');
    mkdirSync(join(dir, sub), { recursive: true });
    const exp = await fx.good(join(dir, sub), N);
    // Ids name the file relative to the config, so here they start with the fixture's folder.
    expected.push(...exp.ids.map((id) => `${sub}/${id}`));
    const fields = { ...fx.config, ...(kind === 'video' ? { minFrames: 2, maxFrames: 4 } : {}) };
    const extra = [...Object.entries(fields).map(([k, v]) => `${k}: ${JSON.stringify(v)}`), ...(fx.runConfig ? [fx.runConfig(sub)] : [])];
    sources.push(`  - {name: ${sub}, kind: ${kind}, paths: ${JSON.stringify(exp.paths.map((p) => `${sub}/${p}`))}${extra.map((e) => ', ' + e).join('')}}`);
  }
  const cfg = join(dir, 'run.yaml');
  writeFileSync(cfg, [
    `name: sources-${kind}`, 'seed: 1', 'output: {shardMaxRows: 8, formats: [parquet]}', 'tokenizer: {workers: 1}', 'sources:', ...sources,
    'mix: {onExhausted: renormalize}', 'pack: {maxTokens: 4096}', 'images: {maxTiles: 1}', '',
  ].join('\n'));
  const res = await runPipeline(cfg, { out: join(dir, 'out'), log: silentLogger, progress: false });
  const files = res.index.shards.map((s) => join(res.outDir, s.files.find((f) => f.format === 'parquet')!.path));
  const rows = await duck(`SELECT unnest(sample_ids) AS id FROM read_parquet([${files.map(lit).join(', ')}])`);
  const stats = JSON.parse(readFileSync(join(res.outDir, 'stats.json'), 'utf8')) as { images: Record<string, number> };
  return { expected, written: rows.map((r) => String(r.id)), rejects: readFileSync(join(res.outDir, 'rejects.jsonl'), 'utf8'), images: stats.images };
}

describe('every good document of every reader reaches the shards exactly once', () => {
  for (const kind of ['text', 'caption', 'interleaved', 'video'] as const) {
    test(kind, async () => {
      const { expected, written, rejects, images } = await roundTrip(kind);
      expect(rejects).toBe('');
      // Every caption pair and interleaved document holds one image, and each was found and tiled.
      expect(images.dropped ?? 0).toBe(0);
      if (kind === 'caption' || kind === 'interleaved') expect(images.tiled).toBe(expected.length);
      expect(expected.length).toBeGreaterThan(0);
      expect([...written].sort()).toEqual([...expected].sort());
    });
  }
});
