/**
 * The run journal (`progress.jsonl`): one line per finished shard, appended and fsync'd after the shard
 * is renamed to its final name. `--resume` keeps the journaled shards whose files still match their
 * checksums (a contiguous prefix), deletes everything after them, and replays the deterministic stream
 * without rewriting what is kept.
 */
import { existsSync } from 'node:fs';
import { appendFile, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ShardRecord } from './writer.js';
import { sha256File } from './writer.js';

export const JOURNAL = 'progress.jsonl';

export async function appendJournal(dir: string, rec: ShardRecord): Promise<void> {
  const path = join(dir, JOURNAL);
  await appendFile(path, JSON.stringify(rec) + '\n');
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Finished shards that can be kept: journaled, present, same size and SHA-256; contiguous from shard 0. */
export async function verifiedShards(dir: string): Promise<ShardRecord[]> {
  const path = join(dir, JOURNAL);
  if (!existsSync(path)) return [];
  const kept: ShardRecord[] = [];
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    let rec: ShardRecord;
    try {
      rec = JSON.parse(line) as ShardRecord;
    } catch {
      break; // a torn last line: the shard after it is redone
    }
    if (rec.index !== kept.length || !(await filesMatch(dir, rec))) break;
    kept.push(rec);
  }
  return kept;
}

async function filesMatch(dir: string, rec: ShardRecord): Promise<boolean> {
  for (const f of rec.files) {
    const p = join(dir, f.path);
    const st = await stat(p).catch(() => null);
    if (!st || st.size !== f.bytes || (await sha256File(p)) !== f.sha256) return false;
  }
  return true;
}

/** Remove shard files (and temporaries) that are not among `kept`, so nothing unverified stays. */
export async function removeUnverified(dir: string, kept: ShardRecord[]): Promise<string[]> {
  const keep = new Set(kept.flatMap((r) => r.files.map((f) => f.path)));
  const removed: string[] = [];
  for (const n of await readdir(dir)) {
    if (/^part-\d+\.(parquet|arrow)(\.tmp)?$/.test(n) && !keep.has(n)) {
      await unlink(join(dir, n));
      removed.push(n);
    }
  }
  // Rewrite the journal as exactly the kept records.
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, JOURNAL), kept.map((r) => JSON.stringify(r) + '\n').join(''));
  return removed;
}
