/**
 * validate recomputes from the shards and catches each kind of damage; the tampered shard is rewritten
 * with a correct checksum in index.json so that only the targeted check can fail.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { cpSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { loadConfig } from '../../src/config/load.js';
import { validateRun } from '../../src/shards/validate.js';
import { readShardRows } from '../../src/shards/parquet-io.js';
import { rowsToTable, type ShardRow } from '../../src/shards/arrow-table.js';
import { writeParquetShard } from '../../src/shards/parquet-io.js';
import { sha256File } from '../../src/shards/writer.js';
import type { IndexJson, StatsJson } from '../../src/shards/index-file.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const good = join(dir, 'good');
let metadata: Record<string, string>;

beforeAll(async () => {
  await runPipeline('pipelines/sample.yaml', { out: good, log: silentLogger, progress: false });
  const { readShardMetadata } = await import('../../src/shards/parquet-io.js');
  metadata = (await readShardMetadata(join(good, 'part-00000.parquet'))).metadata;
});

/** Copy the good run, apply `edit` to the rows of part-00000.parquet, fix its checksum in index.json. */
async function tampered(name: string, edit: (rows: ShardRow[]) => void, editIndex?: (i: IndexJson) => void): Promise<string> {
  const d = join(dir, name);
  cpSync(good, d, { recursive: true });
  const path = join(d, 'part-00000.parquet');
  const rows: ShardRow[] = [];
  for await (const r of readShardRows(path)) rows.push(r);
  edit(rows);
  await writeParquetShard(rowsToTable(rows, metadata), path, { rowGroupRows: 64 });
  const index = JSON.parse(readFileSync(join(d, 'index.json'), 'utf8')) as IndexJson;
  const f = index.shards[0].files.find((x) => x.format === 'parquet')!;
  f.sha256 = await sha256File(path);
  f.bytes = statSync(path).size;
  index.shards[0].files = [f]; // the arrow copy no longer matches; validate only the parquet
  editIndex?.(index);
  writeFileSync(join(d, 'index.json'), JSON.stringify(index));
  return d;
}

const checks = (r: Awaited<ReturnType<typeof validateRun>>) => r.failures.map((f) => f.check);

describe('validate', () => {
  test('passes on good output, with and without the config thresholds', async () => {
    const r = await validateRun(good);
    expect(r.failures).toEqual([]);
    expect(r.measured.tokens).toBeGreaterThan(0);
    expect((await validateRun(good, loadConfig('pipelines/sample.yaml'))).ok).toBe(true);
    // Packing fill: the number validate recomputes from the shards is stats.json packing.fill (every row, the last included).
    const stats = JSON.parse(readFileSync(join(good, 'stats.json'), 'utf8')) as StatsJson;
    expect(r.measured.fill).toBe(stats.packing.fill);
    expect(r.measured.fill).toBe(r.measured.tokens / (r.measured.rows * 8192));
    expect(r.measured.maxTokens).toBe(8192);
  });

  test('sum(sample_lengths) ≠ num_tokens', async () => {
    const d = await tampered('lengths', (rows) => { rows[0].sampleLengths[0] += 1; });
    const r = await validateRun(d);
    expect(checks(r)).toContain('row');
    expect(r.failures.find((f) => f.check === 'row')).toMatchObject({ shard: 'part-00000.parquet', row: 0 });
    expect(r.failures.find((f) => f.check === 'row')!.message).toMatch(/sum\(sample_lengths\) \d+ ≠ len\(input_ids\) \d+/);
  });

  test('positions that do not restart at 0 per sample', async () => {
    const d = await tampered('positions', (rows) => { rows[0].positionIds[rows[0].sampleLengths[0]] = 5; });
    const r = await validateRun(d);
    expect(r.failures.map((f) => [f.check, f.row])).toContainEqual(['positions', 0]);
    expect(r.failures.find((f) => f.check === 'positions')!.message).toMatch(/sample 1 \(.*\): positions start at 5, not 0/);
  });

  test('a forged image span (stray <IMG_CONTEXT>) and a duplicated sample', async () => {
    const d = await tampered('span', (rows) => { rows[0].inputIds[rows[0].inputIds.length - 1] = 151667; }); // a sample's last (text) token
    expect(checks(await validateRun(d))).toContain('image-span');
    const dup = await tampered('dup', (rows) => { rows[1].sampleIds[0] = rows[0].sampleIds[0]; });
    const r = await validateRun(dup);
    expect(r.failures.find((f) => f.check === 'duplicate')!.message).toMatch(/appears more than once/);
  });

  test('counts that disagree with index.json; a missing shard file; a changed byte', async () => {
    const d = await tampered('counts', () => {}, (i) => { i.shards[0].tokens += 7; i.totals.tokens += 7; });
    expect(checks(await validateRun(d))).toEqual(expect.arrayContaining(['tokens', 'totals']));
    const m = join(dir, 'missing');
    cpSync(good, m, { recursive: true });
    const { rmSync } = await import('node:fs');
    rmSync(join(m, 'part-00000.arrow'));
    expect((await validateRun(m)).failures).toContainEqual(expect.objectContaining({ check: 'file', shard: 'part-00000.arrow' }));
  });

  test('thresholds from the config: packing fill and tiles per image', async () => {
    const cfg = loadConfig('pipelines/sample.yaml');
    const r = await validateRun(good, { ...cfg, validate: { ...cfg.validate, minFill: 1 }, images: { ...cfg.images, maxTiles: 2 } });
    expect(r.failures.find((f) => f.check === 'fill')!.message).toMatch(/packing fill [\d.]+ % < validate.minFill 100.00 %/);
    expect(r.failures.find((f) => f.check === 'tiles')!.message).toMatch(/\d+ images have a tile count outside \[1, 3\]/);
  });

  test('thresholds from the config: ratio tolerance and reject fraction', async () => {
    const cfg = loadConfig('pipelines/sample.yaml');
    const strict = { ...cfg, validate: { ...cfg.validate, ratioTolerance: 0.001, maxRejectFraction: 0.001 } };
    const r = await validateRun(good, strict);
    expect(checks(r)).toEqual(expect.arrayContaining(['ratio', 'rejects']));
    expect(r.failures.find((f) => f.check === 'ratio')!.message).toMatch(/source "\S+": realised token share [\d.]+ % vs target [\d.]+ % \(tolerance ±0\.10 points\)/);
  });
});
