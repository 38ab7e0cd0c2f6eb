/**
 * `s3://bucket/key` inputs (AWS and S3-compatible endpoints: MinIO, Ceph, R2, GCS's interoperable API).
 * Listing expands a pattern into whole-object units; reading spools one object at a time to a local temp
 * file, so every format reader keeps reading local paths. Credentials come only from the SDK's default
 * chain (environment, ~/.aws files, …); the endpoint from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
 */
import { createWriteStream, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import micromatch from 'micromatch';
import { urlScheme } from '../core/locations.js';
import fg from 'fast-glob';
import { ShardloomError } from '../core/errors.js';

export function isS3Url(p: string): boolean {
  return urlScheme(p) === 's3';
}

export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (!m) throw new ShardloomError('CONFIG_INVALID', `"${url}": not an s3:// URL (expected s3://bucket/key)`);
  return { bucket: m[1], key: m[2] };
}

/** Per-request idle limit: a server that sends nothing for this long fails the request (and the object). */
function timeoutMs(): number {
  const v = Number(process.env.SHARDLOOM_S3_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 60_000;
}

/** Clients for the current environment, by attempt count; all replaced when the environment changes. */
let clients: { env: string; byAttempts: Map<number, S3Client> } | undefined;
/** Loaded on first use: a run without s3:// inputs does not pay for the SDK. */
export const sdk = () => import('@aws-sdk/client-s3');

/**
 * One client per endpoint/region/timeout/credentials setting: a process that changes its environment between
 * runs (tests, an embedding app) gets a fresh one. `maxAttempts` (default: the SDK's, AWS_MAX_ATTEMPTS) lets a
 * caller that retries on its own (the s3:// image store) have the SDK try once.
 */
export async function s3Client(opts: { maxAttempts?: number } = {}): Promise<S3Client> {
  const { S3Client } = await sdk(); // before the check below: no await between it and the cache update
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  const timeout = timeoutMs();
  const env = process.env;
  const key = [endpoint, region, timeout, env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, env.AWS_PROFILE, env.AWS_MAX_ATTEMPTS].join('|');
  if (clients?.env !== key) {
    for (const c of clients?.byAttempts.values() ?? []) c.destroy();
    clients = { env: key, byAttempts: new Map() };
  }
  const attempts = opts.maxAttempts ?? 0; // 0: the SDK's default
  let client = clients.byAttempts.get(attempts);
  if (!client) {
    // Path-style with an explicit endpoint: MinIO and Ceph rarely have per-bucket DNS names.
    client = new S3Client({ region, endpoint, forcePathStyle: !!endpoint, maxAttempts: opts.maxAttempts, requestHandler: { requestTimeout: timeout, connectionTimeout: timeout } });
    clients.byAttempts.set(attempts, client);
  }
  return client;
}

export interface S3Object { url: string; size: number }

/** The objects a pattern names: a literal key (null when it does not exist) or the keys a glob matches, sorted. */
export async function listS3(pattern: string): Promise<S3Object[] | null> {
  const { bucket, key } = parseS3Url(pattern);
  const client = await s3Client();
  const { HeadObjectCommand, ListObjectsV2Command } = await sdk();
  const url = (k: string) => `s3://${bucket}/${k}`;
  try {
    if (!fg.isDynamicPattern(key)) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return [{ url: url(key), size: head.ContentLength ?? 0 }];
      } catch (e) {
        if (httpStatus(e) === 404) return null;
        throw e;
      }
    }
    // Everything under the literal prefix, then the same glob rules as local paths (fast-glob's micromatch).
    const prefix = key.slice(0, key.search(/[*?[\]{}()!+@]/));
    const out: S3Object[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key && !o.Key.endsWith('/') && micromatch.isMatch(o.Key, key, { dot: false })) out.push({ url: url(o.Key), size: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  } catch (e) {
    // Not one record: the bucket cannot be listed at all (no such bucket, no access, no server) — setup fails.
    throw new ShardloomError('INPUT_NOT_FOUND', `"${pattern}": cannot list the objects — ${describeS3Error(e)}`, { cause: e });
  }
}

export function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** A short description of an SDK or network error: status, code and message. */
export function describeS3Error(e: unknown): string {
  const status = httpStatus(e);
  const name = (e as Error)?.name;
  const msg = (e as Error)?.message || String(e);
  return [status ? `HTTP ${status}` : '', name && name !== 'Error' && !msg.includes(name) ? name : '', msg].filter(Boolean).join(' ');
}

/** True when a fetch failed because the object does not exist (deleted since the listing). */
export function isMissingObject(e: unknown): boolean {
  return httpStatus(e) === 404 || (e as Error)?.name === 'NoSuchKey';
}

let spoolSeq = 0;
/** Spool files that exist or are being written; the directory is removed whenever this drops to 0. */
let active = 0;
let exitHook = false;
const spoolDir = () => join(tmpdir(), `shardloom-spool-${process.pid}`);

function spoolRoot(): string {
  const dir = spoolDir();
  mkdirSync(dir, { recursive: true });
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return dir;
}

/** A new spool file path keeping `name` (so formats chosen by extension apply); give it back with `removeSpooled`. */
export function spoolFile(name: string): string {
  active++;
  return join(spoolRoot(), `${++spoolSeq}-${name || 'object'}`);
}

/** Synchronous, and only with nothing in flight: no spool can be between its mkdir and its open here. */
function released(): void {
  if (--active > 0) return;
  try { rmdirSync(spoolDir()); } catch { /* not empty or gone: the exit hook has it */ }
}

/**
 * Download an object to a local spool file (streamed: memory stays bounded), keeping its base name so that
 * formats chosen by extension still apply. Throws on any failure, the partial file removed; a body that goes
 * silent for the timeout counts as a failure too.
 */
export async function spoolObject(url: string, signal: AbortSignal): Promise<string> {
  const { bucket, key } = parseS3Url(url);
  const local = spoolFile(basename(key));
  try {
    const { GetObjectCommand } = await sdk();
    const res = await (await s3Client()).send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    const body = res.Body as Readable | undefined;
    if (!body) throw new Error('empty response body');
    const limit = timeoutMs();
    let timer: NodeJS.Timeout | undefined;
    const watch = new Transform({
      transform(chunk, _enc, done) { arm(); done(null, chunk); },
      flush(done) { clearTimeout(timer); done(); },
    });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => body.destroy(new Error(`no data for ${limit} ms`)), limit);
    };
    arm();
    try {
      await pipeline(body, watch, createWriteStream(local), { signal });
    } finally {
      clearTimeout(timer);
    }
    const expected = res.ContentLength;
    if (expected !== undefined) {
      const { size } = await stat(local);
      if (size !== expected) throw new Error(`object cut short: ${size} of ${expected} bytes`);
    }
    return local;
  } catch (e) {
    await rm(local, { force: true });
    released();
    throw e;
  }
}

/** Remove a file `spoolObject` returned (once). */
export async function removeSpooled(local: string): Promise<void> {
  await rm(local, { force: true });
  released();
}
