import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { RejectRecord } from '../../src/core/rejects.js';
import { readShardRows } from '../../src/shards/parquet-io.js';

/**
 * The rows of a run's Parquet shards, with each sample id passed through `id` — runs of the same data read from
 * different places (a local path, an s3:// or http:// URL) differ only in their ids' prefixes.
 */
export async function shardRows(run: { outDir: string; index: { shards: { files: { path: string; format: string }[] }[] } }, id: (id: string) => string = (x) => x) {
  const rows = [];
  for (const s of run.index.shards) {
    for await (const r of readShardRows(join(run.outDir, s.files.find((f) => f.format === 'parquet')!.path))) rows.push({ ...r, sampleIds: r.sampleIds.map(id) });
  }
  return rows;
}

/** The records of a run's rejects.jsonl. */
export const rejectsOf = (run: { outDir: string }) =>
  readFileSync(join(run.outDir, 'rejects.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RejectRecord);
