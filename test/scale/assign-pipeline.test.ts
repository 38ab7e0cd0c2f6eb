/**
 * A run whose Parquet input is split between ranks by row groups: three ranks merged hold the same samples
 * and tokens as one rank, and every rank has work although there are only two files.
 */
import { describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { runPipeline } from '../../src/run.js';
import { mergeRuns } from '../../src/scale/merge.js';
import { silentLogger } from '../../src/core/log.js';
import { readShardRows } from '../../src/shards/parquet-io.js';
import type { IndexJson } from '../../src/shards/index-file.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const quiet = { log: silentLogger, progress: false, env: {} };

async function sampleIds(root: string, index: IndexJson): Promise<string[]> {
  const ids: string[] = [];
  for (const s of index.shards) for await (const r of readShardRows(join(root, s.files[0].path))) ids.push(...r.sampleIds);
  return ids.sort();
}

describe('ranks split a Parquet file by row groups, end to end', () => {
  test('3 ranks merged = 1 rank; each rank reads rows', async () => {
    const words = 'the quick brown fox jumps over a lazy dog while seven pale wizards hex every quirky jumbo vow'.split(' ');
    const text = (i: number) => Array.from({ length: 5 + ((i * 37) % 50) }, (_, k) => words[(i + k * 3) % words.length]).join(' ');
    mkdirSync(join(dir, 'data'), { recursive: true });
    await parquetWriteFile({ filename: join(dir, 'data', 'big.parquet'), columnData: [{ name: 'text', data: Array.from({ length: 60 }, (_, i) => text(i)), type: 'STRING' }], rowGroupSize: 10 });
    await parquetWriteFile({ filename: join(dir, 'data', 'small.parquet'), columnData: [{ name: 'text', data: Array.from({ length: 5 }, (_, i) => text(100 + i)), type: 'STRING' }] });
    const yaml = [
      'name: split-e2e', 'seed: 7', 'output:', '  dir: out', '  shardMaxRows: 6', 'tokenizer:', '  name: qwen3', 'sources:',
      '  - { name: web, kind: text, paths: ["data/*.parquet"], weight: 1 }',
      'pack:', '  maxTokens: 256', 'validate:', '  minFill: 0', '',
    ].join('\n');
    const config = join(dir, 'pipeline.yaml');
    writeFileSync(config, yaml);

    const one = await runPipeline(config, { ...quiet, out: join(dir, 'one') });
    const multi = join(dir, 'multi');
    const ranks = [];
    for (const rank of [0, 1, 2]) ranks.push(await runPipeline(config, { ...quiet, out: multi, rank, worldSize: 3 }));
    for (const r of ranks) expect(r.index.totals.samples).toBeGreaterThan(0);
    const merged = await mergeRuns(multi);
    expect(merged.index.totals.tokens).toBe(one.index.totals.tokens);
    const single = await sampleIds(one.outDir, one.index);
    expect(single).toHaveLength(65);
    expect(await sampleIds(multi, merged.index as unknown as IndexJson)).toEqual(single);
  });
});
