/**
 * Whole runs with the interleaved sample (OBELICS Parquet + MMC4 JSONL) read over http:// from a loopback
 * server and their images from an s3:// directory on s3rver: the same shards as the local run; a URL that
 * is gone is a file.missing reject; an image store whose server fails (500) or goes silent makes each image
 * fail with its reason — dropped or rejected as configured — and the run completes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, cpSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import S3rver from 's3rver';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { tempDir } from '../helpers/tmp.js';
import { rejectsOf, shardRows } from '../helpers/shard-rows.js';

const dir = tempDir();
const quiet = { log: silentLogger, progress: false };
const ENV = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_MAX_ATTEMPTS', 'AWS_PROFILE', 'SHARDLOOM_S3_TIMEOUT_MS', 'SHARDLOOM_HTTP_TIMEOUT_MS'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
const images = resolve('sample-data/interleaved/images');
let s3rver: S3rver;
let endpoint = '';
let web: Server;
let base = '';
const sockets = new Set<Socket>();

function useEnv(url: string) {
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', SHARDLOOM_S3_TIMEOUT_MS: '30000', SHARDLOOM_HTTP_TIMEOUT_MS: '30000' });
  for (const k of ['AWS_ENDPOINT_URL_S3', 'AWS_PROFILE', 'AWS_MAX_ATTEMPTS']) delete process.env[k];
}

beforeAll(async () => {
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'web', configs: [] }] });
  endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  for (const f of readdirSync(images)) await client.send(new PutObjectCommand({ Bucket: 'web', Key: `images/${f}`, Body: readFileSync(join(images, f)) }));
  client.destroy();
  web = createServer((req, res) => {
    const name = new URL(req.url!, 'http://x').pathname.replace(/^\/data\//, '');
    if (!['obelics.parquet', 'mmc4.jsonl'].includes(name)) { res.statusCode = 404; return res.end(); }
    const body = readFileSync(resolve('sample-data/interleaved', name));
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  web.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(web.address() as AddressInfo).port}/data`;
  cpSync('sample-data/interleaved', join(dir, 'local'), { recursive: true });
  useEnv(endpoint);
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  web?.close();
  await s3rver?.close();
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
});

function config(name: string, obelics: string[], mmc4: string[], store: string, extra = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`, 'seed: 3', 'tokenizer: {workers: 1}', 'output: {formats: [parquet]}', 'pack: {maxTokens: 8192, maxTiles: 48}', 'images: {maxTiles: 2}',
    'mix: {onExhausted: renormalize}', 'sources:',
    `  - {name: obelics, kind: interleaved, paths: ${JSON.stringify(obelics)}, imageStore: ${store}, onMissingImage: drop${extra}}`,
    `  - {name: mmc4, kind: interleaved, paths: ${JSON.stringify(mmc4)}, imageStore: ${store}, onMissingImage: reject${extra}}`,
  ].join('\n') + '\n');
  return file;
}

const rowsOf = (res: Awaited<ReturnType<typeof runPipeline>>) => shardRows(res, (id) => id.replace(base + '/', '').replace(/^local\//, ''));

describe('http:// inputs with an s3:// image directory', () => {
  test('the same shards as the local run; a URL that is gone is a file.missing reject', async () => {
    const local = await runPipeline(config('local', ['local/obelics.parquet'], ['local/mmc4.jsonl'], '{type: dir, path: local/images}'), { ...quiet, out: join(dir, 'out-local') });
    const remote = await runPipeline(config('remote', [`${base}/obelics.parquet`], [`${base}/mmc4.jsonl`, `${base}/gone.jsonl`], '{type: dir, path: "s3://web/images/"}'), { ...quiet, out: join(dir, 'out-remote') });
    expect(remote.index.complete).toBe(true);
    expect(local.stats.images!.tiled).toBeGreaterThan(0);
    expect(remote.stats.images).toEqual(local.stats.images);
    expect({ ...remote.index.totals, bytes: 0 }).toEqual({ ...local.index.totals, bytes: 0 });
    expect(await rowsOf(remote)).toEqual(await rowsOf(local));
    const gone = rejectsOf(remote).filter((r) => r.file.endsWith('gone.jsonl'));
    expect(gone).toEqual([{ source: 'mmc4', file: `${base}/gone.jsonl`, location: 'file', reason: 'file.missing', detail: 'cannot fetch the URL: HTTP 404 Not Found' }]);
    expect(rejectsOf(remote).length - 1).toBe(rejectsOf(local).length);
  });

  test('an image store whose server fails (500) or stalls: every image fails with its reason, dropped or rejected as configured; the run completes', async () => {
    const stallSockets = new Set<Socket>();
    const bad = createServer((req, res) => {
      if (req.url!.startsWith('/broken/')) { res.statusCode = 500; return res.end('<Error><Code>InternalError</Code><Message>down</Message></Error>'); }
      // stalled: never answers
    });
    bad.on('connection', (s) => { stallSockets.add(s); s.on('close', () => stallSockets.delete(s)); });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    useEnv(`http://127.0.0.1:${(bad.address() as AddressInfo).port}`);
    try {
      for (const [bucket, reason, detail] of [['broken', 'image.fetch_failed', /: s3:\/\/broken\/images\/: HTTP 500 .*down/], ['stalled', 'image.timeout', /: s3:\/\/stalled\/images\/: no answer in 500 ms/]] as const) {
        const res = await runPipeline(config(`bad-${bucket}`, [`${base}/obelics.parquet`], [`${base}/mmc4.jsonl`], `{type: dir, path: "s3://${bucket}/images/", retries: 1, timeoutSeconds: 0.5}`), { ...quiet, out: join(dir, `out-${bucket}`) });
        expect(res.index.complete).toBe(true);
        expect(res.stats.images!.tiled ?? 0).toBe(0);
        const rejects = rejectsOf(res);
        // mmc4 rejects a document whose image fails; obelics drops the image and keeps the text.
        const mmc4 = rejects.filter((r) => r.source === 'mmc4');
        expect(mmc4.length).toBeGreaterThan(0);
        for (const r of mmc4) expect([r.reason, r.detail]).toEqual([reason, expect.stringMatching(detail)]);
        expect(res.stats.images![`dropped.${reason}`]).toBeGreaterThan(0);
        expect(res.index.totals.rows).toBeGreaterThan(0); // obelics' text made it
      }
    } finally {
      for (const s of stallSockets) s.destroy();
      bad.close();
      useEnv(endpoint);
    }
  });
});
