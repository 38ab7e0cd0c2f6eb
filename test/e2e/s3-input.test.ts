/**
 * s3:// inputs against real S3-protocol servers on loopback: s3rver (signature-checking, ListObjectsV2,
 * GET/HEAD) for the happy path and a missing key, and a small node:http server that speaks just enough of
 * List/GET to fail: a 500, a body cut mid-way, a body that goes silent (paginated listing too).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import S3rver from 's3rver';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { tempDir } from '../helpers/tmp.js';
import { rejectsOf, shardRows } from '../helpers/shard-rows.js';

const dir = tempDir();
const quiet = { log: silentLogger, progress: false };
const ENV = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_MAX_ATTEMPTS', 'AWS_PROFILE', 'SHARDLOOM_S3_TIMEOUT_MS'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
let s3rver: S3rver;
let endpoint = '';

/** Credentials and endpoint only from the environment, as a user sets them. */
function useEnv(url: string, accessKeyId = 'S3RVER') {
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1', SHARDLOOM_S3_TIMEOUT_MS: '1500' });
  delete process.env.AWS_ENDPOINT_URL_S3;
  delete process.env.AWS_PROFILE;
}

beforeAll(async () => {
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'data', configs: [] }] });
  const { port } = await s3rver.run();
  endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const put = (key: string, file: string) => client.send(new PutObjectCommand({ Bucket: 'data', Key: key, Body: readFileSync(file) }));
  await put('text/gpl-3.jsonl.gz', 'sample-data/text/gpl-3.jsonl.gz');
  await put('text/other.jsonl', 'sample-data/text/apache-2.0.jsonl'); // not matched by the glob below
  await put('captions/00000.tar', 'sample-data/captions/00000.tar');
  client.destroy();
  // The same files, local.
  mkdirSync(join(dir, 'local/text'), { recursive: true });
  mkdirSync(join(dir, 'local/captions'), { recursive: true });
  cpSync('sample-data/text/gpl-3.jsonl.gz', join(dir, 'local/text/gpl-3.jsonl.gz'));
  cpSync('sample-data/captions/00000.tar', join(dir, 'local/captions/00000.tar'));
  useEnv(endpoint);
}, 30_000);

afterAll(async () => {
  await s3rver?.close();
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
});

function config(name: string, text: string[], captions: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`, 'seed: 7', 'tokenizer: {workers: 1}', 'output: {shardMaxRows: 16, formats: [parquet]}', 'pack: {maxTokens: 4096, maxTiles: 24}', 'images: {maxTiles: 4}',
    'sources:',
    `  - {name: text, kind: text, idField: id, weight: 0.5, paths: ${JSON.stringify(text)}}`,
    `  - {name: captions, kind: caption, weight: 0.5, paths: ${JSON.stringify(captions)}}`,
  ].join('\n') + '\n');
  return file;
}

// Ids differ only by where the file was: `local/captions/…` or `s3://data/captions/…`.
const rowsOf = (res: Awaited<ReturnType<typeof runPipeline>>) => shardRows(res, (id) => id.replace(/^(s3:\/\/data\/|local\/)/, ''));

describe('s3:// inputs', () => {
  test('text (gzip JSONL, by glob) and captions (WebDataset tar) from S3 give the same shards as local copies', async () => {
    const local = await runPipeline(config('local', ['local/text/*.jsonl.gz'], ['local/captions/0000?.tar']), { ...quiet, out: join(dir, 'out-local') });
    const remote = await runPipeline(config('remote', ['s3://data/text/*.jsonl.gz'], ['s3://data/captions/0000?.tar']), { ...quiet, out: join(dir, 'out-remote') });
    // Bytes differ by the config hash in the shard metadata (the paths differ); the content must not.
    expect({ ...remote.index.totals, bytes: 0 }).toEqual({ ...local.index.totals, bytes: 0 });
    expect(remote.index.totals.rows).toBeGreaterThan(0);
    expect(remote.stats.records).toEqual(local.stats.records);
    const [a, b] = [await rowsOf(local), await rowsOf(remote)];
    expect(b.map((r) => r.sampleIds)).toEqual(a.map((r) => r.sampleIds));
    expect(b).toEqual(a);
    expect(b.flatMap((r) => r.sampleIds).some((id) => id.startsWith('captions/00000.tar/'))).toBe(true);
    expect(rejectsOf(remote)).toEqual(rejectsOf(local));
  }, 60_000);

  test('two ranks split s3 inputs by whole objects and together read what one rank reads', async () => {
    const file = config('ranks', ['s3://data/text/*.jsonl.gz'], ['s3://data/captions/*.tar']);
    const one = await runPipeline(file, { ...quiet, out: join(dir, 'out-rank1') });
    const ids = async (res: Awaited<ReturnType<typeof runPipeline>>) => (await rowsOf(res)).flatMap((r) => r.sampleIds);
    const parts = [];
    for (const rank of [0, 1]) parts.push(await runPipeline(file, { ...quiet, out: join(dir, 'out-rank2'), rank, worldSize: 2 }));
    const both = [...(await ids(parts[0])), ...(await ids(parts[1]))].sort();
    expect(both).toEqual((await ids(one)).sort());
    // The tar (a local one of this size is split into sample ranges at world size 2) is read whole by one rank.
    const withCaptions = await Promise.all(parts.map(async (p) => (await ids(p)).some((id) => id.startsWith('captions/'))));
    expect(withCaptions.filter(Boolean)).toHaveLength(1);
  }, 60_000);

  test('a literal key that does not exist is a file.missing reject naming the URL; the run goes on', async () => {
    const res = await runPipeline(config('missing', ['s3://data/text/gpl-3.jsonl.gz', 's3://data/text/nope.jsonl.gz'], ['s3://data/captions/*.tar']), { ...quiet, out: join(dir, 'out-missing') });
    expect(res.index.complete).toBe(true);
    expect(res.index.totals.rows).toBeGreaterThan(0);
    expect(rejectsOf(res).filter((r) => r.reason === 'file.missing')).toEqual([expect.objectContaining({ source: 'text', file: 's3://data/text/nope.jsonl.gz', location: 'file' })]);
  }, 60_000);

  test('credentials come from the environment: an unknown key fails the listing up front (403), the config cannot hold keys', async () => {
    useEnv(endpoint, 'UNKNOWNKEY'); // s3rver checks the key id (not v4 signatures)
    try {
      await expect(runPipeline(config('badkey', ['s3://data/text/*.jsonl.gz'], ['s3://data/captions/*.tar']), { ...quiet, out: join(dir, 'out-badkey') }))
        .rejects.toThrow(/"s3:\/\/data\/text\/\*\.jsonl\.gz": cannot list the objects — HTTP 403/);
    } finally {
      useEnv(endpoint);
    }
    const file = join(dir, 'keys.yaml');
    writeFileSync(file, 'sources:\n  - {name: t, kind: text, paths: ["s3://data/text/*.jsonl.gz"], accessKeyId: AKIA, secretAccessKey: x}\n');
    await expect(runPipeline(file, { ...quiet, out: join(dir, 'out-keys') })).rejects.toThrow(/accessKeyId/);
  }, 30_000);

  test('objects the server fails (500, a body cut short, a silent body) are file.read_error rejects; the others are read', async () => {
    const line = (i: number) => JSON.stringify({ id: `d${i}`, text: `document number ${i} `.repeat(20) }) + '\n';
    const good = Buffer.from([0, 1, 2].map(line).join(''));
    const keys = ['x/a-good.jsonl', 'x/b-500.jsonl', 'x/c-cut.jsonl', 'x/d-silent.jsonl', 'x/e-good.jsonl'];
    const sockets = new Set<import('node:net').Socket>();
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname.replace(/\/$/, '') === '/flaky' && url.searchParams.get('list-type') === '2') {
        // Two keys a page: the listing must follow continuation tokens.
        const start = Number(url.searchParams.get('continuation-token') ?? 0);
        const page = keys.slice(start, start + 2);
        const more = start + 2 < keys.length;
        res.setHeader('content-type', 'application/xml');
        return res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>flaky</Name><Prefix>x/</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>${more}</IsTruncated>${more ? `<NextContinuationToken>${start + 2}</NextContinuationToken>` : ''}${page.map((k) => `<Contents><Key>${k}</Key><Size>${good.length}</Size></Contents>`).join('')}</ListBucketResult>`);
      }
      const key = url.pathname.replace(/^\/flaky\//, '');
      if (key.includes('500')) { res.statusCode = 500; res.setHeader('content-type', 'application/xml'); return res.end('<Error><Code>InternalError</Code><Message>boom</Message></Error>'); }
      res.writeHead(200, { 'content-length': good.length, 'content-type': 'application/octet-stream' });
      if (key.includes('cut')) { res.write(good.subarray(0, 40)); setTimeout(() => req.socket.destroy(), 50); return; }
      if (key.includes('silent')) { res.write(good.subarray(0, 40)); return; } // never ends
      res.end(good);
    });
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    useEnv(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const file = join(dir, 'flaky.yaml');
      writeFileSync(file, 'tokenizer: {workers: 1}\noutput: {formats: [parquet]}\nsources:\n  - {name: t, kind: text, idField: id, paths: ["s3://flaky/x/*.jsonl"]}\n');
      const res = await runPipeline(file, { ...quiet, out: join(dir, 'out-flaky') });
      expect(res.index.complete).toBe(true);
      expect(res.stats.records.read.t - res.stats.records.rejected.t).toBe(6);
      const rejects = rejectsOf(res);
      expect(rejects.map((r) => [r.file, r.reason])).toEqual([
        ['s3://flaky/x/b-500.jsonl', 'file.read_error'],
        ['s3://flaky/x/c-cut.jsonl', 'file.read_error'],
        ['s3://flaky/x/d-silent.jsonl', 'file.read_error'],
      ]);
      expect(rejects[0].detail).toMatch(/cannot fetch the object: HTTP 500/);
      expect(rejects[2].detail).toMatch(/no data for 1500 ms|timed? ?out/i);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
      useEnv(endpoint);
    }
  }, 30_000);
});

test('the spool directory is removed once no object is spooled', () => {
  expect(existsSync(join(tmpdir(), `shardloom-spool-${process.pid}`))).toBe(false);
});
