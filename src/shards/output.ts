/**
 * Where a run's output goes: a local (or mounted) directory, or an `s3://bucket/prefix` (AWS and S3-compatible
 * endpoints). The shard writer always writes local files — into the output directory itself, or for s3 into a
 * staging directory under the temp dir — and the target commits each finished shard:
 * - local: the writer's rename is the commit; the journal line (progress.jsonl) is appended and fsync'd.
 * - s3: the shard's files are uploaded (one PutObject each, which S3 makes visible only when complete, with the
 *   SHA-256 sent for the server to check and kept as object metadata), then its journal object
 *   `progress/part-NNNNN.json`, then the staged files are deleted. One shard uploads while the next is written.
 *   `--resume` keeps the journaled shards whose objects are there with the journaled size and SHA-256.
 * index.json is written last in both cases: a reader that sees a complete index sees every shard it lists.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ShardloomError } from '../core/errors.js';
import { describeS3Error, isMissingObject, parseS3Url, s3Client } from '../sources/s3.js';
import { writeJson } from './index-file.js';
import { appendJournal, removeUnverified, verifiedShards } from './journal.js';
import { prepareOutput } from './output-dir.js';
import type { ShardRecord } from './writer.js';

export interface OutputTarget {
  /** What a user names: the output directory, or the s3:// URL (rank folder included). */
  readonly location: string;
  /** The local directory the shard writer and the rejects file write to. */
  readonly dir: string;
  /** Refuse to mix two runs; clear ours with `overwrite`; with `resume` check it is the same config. */
  prepare(configHash: string, overwrite: boolean, resume: boolean): Promise<void>;
  /** Resume: the verified shards (a contiguous prefix); everything else of the old run's shards is removed. */
  resume(): Promise<{ kept: ShardRecord[]; removed: string[] }>;
  /** A shard has its final local files: make it part of the output and journal it. */
  commit(rec: ShardRecord): Promise<void>;
  /** A small JSON file (run.json, stats.json, index.json), replaced atomically. */
  writeJson(name: string, value: unknown): Promise<void>;
  /** A file the run wrote in `dir` (rejects.jsonl) becomes part of the output. */
  publish(name: string): Promise<void>;
  /** Of the shards the writer finished, those that are part of the output (s3: uploaded and journaled), in order. */
  committed(shards: ShardRecord[]): ShardRecord[];
  /** Wait until every committed shard is in the output; throws what failed on the way. */
  drain(): Promise<void>;
  /** End of the run, after the last write: pending uploads settled, the staging directory removed. */
  close(): Promise<void>;
}

export function isS3Output(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/** The output of a rank: the run's location, or its rank folder when there are several ranks. */
export function rankLocation(location: string, rank: number, worldSize: number): string {
  if (worldSize <= 1) return location;
  const folder = `rank-${String(rank).padStart(5, '0')}`;
  return isS3Output(location) ? `${location.replace(/\/+$/, '')}/${folder}` : join(location, folder);
}

export function localOutput(dir: string): OutputTarget {
  return {
    location: dir,
    dir,
    prepare: (hash, overwrite, resume) => prepareOutput(dir, hash, overwrite, resume),
    async resume() {
      const kept = await verifiedShards(dir);
      return { kept, removed: await removeUnverified(dir, kept) };
    },
    commit: (rec) => appendJournal(dir, rec),
    writeJson: (name, value) => writeJson(join(dir, name), value),
    async publish() {},
    committed: (shards) => shards,
    async drain() {},
    async close() {},
  };
}

/** Our objects directly under an output prefix (as output-dir.ts recognises our files). */
const OURS = /^(part-\d+\.(parquet|arrow)|index\.json|stats\.json|rejects\.jsonl|run\.json)$/;
const JOURNAL_DIR = 'progress/';
const journalName = (index: number) => `${JOURNAL_DIR}part-${String(index).padStart(5, '0')}.json`;

/**
 * An s3:// output. `signal` aborts uploads in flight (an interrupted run stops within seconds; the shard being
 * uploaded is not journaled, so `--resume` redoes it).
 */
export async function s3Output(location: string, signal?: AbortSignal): Promise<OutputTarget> {
  const { bucket, key } = parseS3Url(location);
  if (!bucket) throw new ShardloomError('USAGE', `"${location}": an s3:// output needs a bucket (s3://bucket/prefix)`);
  const prefix = key === '' || key.endsWith('/') ? key : key + '/';
  const sdk = await import('@aws-sdk/client-s3');
  const client: S3Client = await s3Client();
  const url = (name: string) => `s3://${bucket}/${prefix}${name}`;
  const staging = await mkdtemp(join(tmpdir(), 'shardloom-out-'));
  const fail = (what: string, e: unknown) =>
    e instanceof ShardloomError ? e : new ShardloomError('OUTPUT_WRITE', `${what}: ${describeS3Error(e)}`, { cause: e });

  /** Names (relative to the prefix) of the objects under it, the journal's included. */
  async function list(sub = ''): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + sub, Delimiter: '/', ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) names.push(o.Key.slice(prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names.sort();
  }
  const ours = async () => [...(await list()).filter((n) => OURS.test(n)), ...(await list(JOURNAL_DIR)).filter((n) => n.endsWith('.json'))];
  async function remove(names: string[]): Promise<void> {
    // One DeleteObject each: S3-compatible servers do not all take the batch call, and these are few.
    for (const n of names) await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: prefix + n }));
  }
  async function getText(name: string): Promise<string | undefined> {
    try {
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: prefix + name }));
      return await res.Body!.transformToString('utf8');
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      throw e;
    }
  }
  /** Upload a local file; a shard's (with its SHA-256) can be cut short by an interruption. */
  async function putFile(name: string, path: string, sha256?: string): Promise<void> {
    const { size } = await stat(path);
    await client.send(new sdk.PutObjectCommand({
      Bucket: bucket, Key: prefix + name, Body: size === 0 ? '' : createReadStream(path), ContentLength: size,
      ...(sha256 ? { ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'), Metadata: { sha256 } } : {}),
    }), sha256 ? { abortSignal: signal } : {});
  }
  async function putJson(name: string, value: unknown): Promise<void> {
    const body = JSON.stringify(value, null, 2) + '\n';
    await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: prefix + name, Body: body, ContentType: 'application/json' }));
  }
  /** The object is there with the journaled size and SHA-256. */
  async function matches(f: ShardRecord['files'][number]): Promise<boolean> {
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: prefix + f.path }));
      return head.ContentLength === f.bytes && head.Metadata?.sha256 === f.sha256;
    } catch (e) {
      if (isMissingObject(e) || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw e;
    }
  }

  let uploads: Promise<void> = Promise.resolve();
  let uploadError: unknown = null;
  const done = new Set<number>();
  /** Uploads settled, failed or not (a failure is reported by the commit that follows it). */
  const settled = () => uploads.catch(() => undefined);

  return {
    location: location.replace(/\/+$/, ''),
    dir: staging,
    async prepare(configHash, overwrite, resume) {
      let existing: string[];
      try {
        existing = await ours();
      } catch (e) {
        throw fail(`cannot list the output ${location}`, e);
      }
      if (existing.length === 0) return;
      const previous = await previousHash().catch(() => undefined);
      if (resume) {
        if (previous && previous !== configHash) {
          throw new ShardloomError('OUTPUT_CONFLICT', `cannot resume: ${location} holds a run of config ${previous}, this config is ${configHash}. The config (or a default it fills) changed since the run started.`);
        }
        return;
      }
      if (!overwrite) {
        const what = previous && previous !== configHash ? `a different run (config ${previous}, this config is ${configHash})` : previous ? 'the output of this same config' : 'shards of an earlier run';
        throw new ShardloomError('OUTPUT_CONFLICT', `output ${location} already holds ${what}; pass --resume to continue it, --overwrite to replace it, or choose another --out`);
      }
      try {
        await remove(existing);
      } catch (e) {
        throw fail(`cannot remove the earlier run's objects under ${location}`, e);
      }
    },
    async resume() {
      const kept: ShardRecord[] = [];
      const journal = (await list(JOURNAL_DIR)).filter((n) => n.endsWith('.json'));
      for (let i = 0; journal.includes(journalName(i)); i++) {
        let rec: ShardRecord;
        try {
          rec = JSON.parse((await getText(journalName(i))) ?? '') as ShardRecord;
        } catch {
          break;
        }
        if (rec.index !== i || !(await Promise.all(rec.files.map(matches))).every(Boolean)) break;
        kept.push(rec);
        done.add(i);
      }
      const keep = new Set([...kept.flatMap((r) => r.files.map((f) => f.path)), ...kept.map((r) => journalName(r.index))]);
      const removed = (await ours()).filter((n) => (/^part-/.test(n) || n.startsWith(JOURNAL_DIR)) && !keep.has(n));
      await remove(removed);
      return { kept, removed: removed.filter((n) => !n.startsWith(JOURNAL_DIR)) };
    },
    async commit(rec) {
      if (uploadError) throw uploadError;
      // One shard uploads while the writer writes the next; the journal stays in shard order.
      const previous = uploads;
      uploads = (async () => {
        await previous; // a failed upload fails the ones after it: the journal has no gaps
        for (const f of rec.files) {
          try {
            await putFile(f.path, join(staging, f.path), f.sha256);
          } catch (e) {
            throw fail(`could not upload shard ${url(f.path)}`, e);
          }
        }
        try {
          await putJson(journalName(rec.index), rec);
        } catch (e) {
          throw fail(`could not write the journal object ${url(journalName(rec.index))}`, e);
        }
        done.add(rec.index);
        await Promise.all(rec.files.map((f) => rm(join(staging, f.path), { force: true })));
      })();
      // An upload cut by an interruption is no error: the shard is not journaled and --resume redoes it.
      uploads.catch((e) => { if (!signal?.aborted) uploadError ??= e; });
      await previous.catch(() => undefined);
      if (uploadError) throw uploadError;
    },
    committed: (shards) => shards.filter((s) => done.has(s.index)),
    async drain() {
      await settled();
      if (uploadError) throw uploadError;
    },
    async writeJson(name, value) {
      await settled();
      try {
        await putJson(name, value);
      } catch (e) {
        throw fail(`could not write ${url(name)}`, e);
      }
    },
    async publish(name) {
      await settled();
      try {
        await putFile(name, join(staging, name));
      } catch (e) {
        throw fail(`could not upload ${url(name)}`, e);
      }
    },
    async close() {
      await settled();
      await rm(staging, { recursive: true, force: true });
    },
  };

  async function previousHash(): Promise<string | undefined> {
    for (const f of ['run.json', 'index.json']) {
      try {
        const text = await getText(f);
        if (text) return (JSON.parse(text) as { configHash?: string }).configHash;
      } catch {
        /* unreadable: try the next */
      }
    }
    return undefined;
  }
}
