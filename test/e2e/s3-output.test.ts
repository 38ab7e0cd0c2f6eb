/**
 * s3:// outputs against a real S3-protocol server on loopback (s3rver): the same shards as a local run, byte for
 * byte; a run killed (SIGKILL) mid-way and continued with --resume, and one stopped with SIGTERM; the conflict
 * and --overwrite rules; a tampered shard redone on resume; and a server that fails uploads — the run fails
 * naming the object, keeps what was committed, and --resume finishes it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import S3rver from 's3rver';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const cfg = join(dir, 'mix.yaml');
const BIN = resolve('dist/cli/main.js');
let s3rver: S3rver;
let endpoint = '';
let client: S3Client;
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'out', configs: [] }] });
  const { port } = await s3rver.run();
  endpoint = `http://127.0.0.1:${port}`;
  client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  env = { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '2', SHARDLOOM_S3_TIMEOUT_MS: '5000', TMPDIR: join(dir, 'tmp') };
  mkdirSync(join(dir, 'tmp'));
  // Text and captions (images tiled), many small shards in two formats, so that a kill lands between uploads.
  const words = readFileSync('/usr/share/common-licenses/GPL-3', 'utf8').split(/\s+/);
  const lines: string[] = [];
  for (let i = 0; i < 1200; i++) lines.push(JSON.stringify({ id: `t${i}`, text: words.slice((i * 37) % 5000, ((i * 37) % 5000) + 60 + (i % 300)).join(' ') }));
  writeFileSync(join(dir, 't.jsonl'), lines.join('\n'));
  writeFileSync(cfg, [
    'name: s3out', 'seed: 3', 'tokenizer: {workers: 1}', 'output: {shardMaxRows: 5, formats: [parquet, arrow]}', 'pack: {maxTokens: 2048, maxTiles: 16}', 'images: {maxTiles: 2}',
    'run: {progressInterval: 0.2}',
    'sources:',
    '  - {name: text, kind: text, idField: id, weight: 0.7, paths: ["t.jsonl"]}',
    `  - {name: captions, kind: caption, weight: 0.3, paths: [${JSON.stringify(resolve('sample-data/captions/00000.tar'))}]}`,
    'mix: {onExhausted: renormalize}',
  ].join('\n') + '\n');
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await s3rver?.close();
});

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(o.Key!.slice(prefix.length));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}
async function bytes(key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: 'out', Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}
const json = async (key: string) => JSON.parse((await bytes(key)).toString('utf8'));

/** Every file of a local output, against the objects of an s3 output: the same names and bytes. */
async function expectSameOutput(local: string, prefix: string): Promise<void> {
  const files = readdirSync(local).filter((f) => /^(part-|index\.json|stats\.json|rejects\.jsonl)/.test(f)).sort();
  const objects = (await keys(prefix)).filter((k) => /^(part-|index\.json|stats\.json|rejects\.jsonl)/.test(k));
  expect(objects).toEqual(files);
  for (const f of files) expect((await bytes(prefix + f)).equals(readFileSync(join(local, f))), f).toBe(true);
}

/** The CLI, asynchronously: s3rver runs in this process and must keep answering while the CLI runs. */
function cli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => res({ status, stdout, stderr }));
  });
}

let localOut = '';
async function runLocal(): Promise<string> {
  if (localOut) return localOut;
  const r = await cli(['run', cfg, '--out', join(dir, 'local')], { env });
  expect(r.status, r.stderr).toBe(0);
  localOut = join(dir, 'local');
  return localOut;
}

function runAndKill(out: string, signal: NodeJS.Signals, afterShards: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, 'run', cfg, '--out', out], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const prefix = out.replace(/^s3:\/\/out\//, '') + '/progress/';
    let sent = false;
    const timer = setInterval(() => {
      keys(prefix).then((k) => {
        if (!sent && k.length >= afterShards) {
          sent = true;
          child.kill(signal);
        }
      }, rej);
    }, 100);
    child.on('exit', (code) => {
      clearInterval(timer);
      res({ code: sent ? code : -1, stderr });
    });
  });
}

describe('s3:// outputs', () => {
  test('a run to s3:// writes the same bytes as a run to a local directory (shards, index, stats, rejects), with a journal object per shard', async () => {
    const local = await runLocal();
    const r = await cli(['run', cfg, '--out', 's3://out/runs/a/'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('s3://out/runs/a');
    await expectSameOutput(local, 'runs/a/');
    const index = await json('runs/a/index.json');
    expect(index.complete).toBe(true);
    expect(index.shards.length).toBeGreaterThan(3);
    expect((await keys('runs/a/progress/')).length).toBe(index.shards.length);
    // Nothing staged is left behind.
    expect(readdirSync(join(dir, 'tmp')).filter((n) => n.startsWith('shardloom-out-'))).toEqual([]);
  }, 180_000);

  test('an existing s3 output is refused without --resume/--overwrite; --overwrite replaces it', async () => {
    const again = await cli(['run', cfg, '--out', 's3://out/runs/a'], { env });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/output s3:\/\/out\/runs\/a already holds the output of this same config; pass --resume/);
    await client.send(new PutObjectCommand({ Bucket: 'out', Key: 'runs/a/notes.txt', Body: 'not ours' }));
    const over = await cli(['run', cfg, '--out', 's3://out/runs/a', '--overwrite'], { env });
    expect(over.status, over.stderr).toBe(0);
    await expectSameOutput(await runLocal(), 'runs/a/');
    expect(await keys('runs/a/')).toContain('notes.txt'); // only our objects are replaced
  }, 180_000);

  test('killed (SIGKILL) after a few shards, then --resume: the output equals an uninterrupted run', async () => {
    const local = await runLocal();
    const killed = await runAndKill('s3://out/runs/k', 'SIGKILL', 3);
    expect(killed.code).not.toBe(0);
    expect(await keys('runs/k/')).not.toContain('index.json');
    const resumed = await cli(['run', cfg, '--out', 's3://out/runs/k', '--resume'], { env });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resume: keeping [1-9]\d* verified shard/);
    await expectSameOutput(local, 'runs/k/');
  }, 240_000);

  test('SIGTERM stops the run with exit 143 and an incomplete index listing only uploaded shards; --resume completes it', async () => {
    const stopped = await runAndKill('s3://out/runs/t', 'SIGTERM', 2);
    expect(stopped.code).toBe(143);
    const index = await json('runs/t/index.json');
    expect(index.complete).toBe(false);
    const objects = await keys('runs/t/');
    for (const s of index.shards) for (const f of s.files) expect(objects).toContain(f.path);
    const resumed = await cli(['run', cfg, '--out', 's3://out/runs/t', '--resume'], { env });
    expect(resumed.status, resumed.stderr).toBe(0);
    await expectSameOutput(await runLocal(), 'runs/t/');
  }, 240_000);

  test('--resume redoes a shard whose object was changed or deleted (and everything after it)', async () => {
    const local = await runLocal();
    const r = await cli(['run', cfg, '--out', 's3://out/runs/m'], { env });
    expect(r.status, r.stderr).toBe(0);
    await client.send(new PutObjectCommand({ Bucket: 'out', Key: 'runs/m/part-00002.parquet', Body: 'garbled' }));
    await client.send(new DeleteObjectCommand({ Bucket: 'out', Key: 'runs/m/part-00004.arrow' }));
    const resumed = await cli(['run', cfg, '--out', 's3://out/runs/m', '--resume'], { env });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resume: keeping 2 verified shard\(s\), discarding part-00002\.arrow, part-00002\.parquet/);
    await expectSameOutput(local, 'runs/m/');
  }, 240_000);

  test('a server that fails uploads: the run fails naming the object (exit 3), keeps what was committed, and --resume finishes', async () => {
    // A proxy in front of s3rver that answers 500 to the 4th shard PUT onwards while `failing` is set.
    let failing = true;
    let shardPuts = 0;
    const proxy: Server = createServer((req, res) => {
      const isShardPut = req.method === 'PUT' && /\/part-\d+\.(parquet|arrow)$/.test(req.url!.split('?')[0]);
      if (failing && isShardPut && ++shardPuts > 3) {
        req.resume();
        res.writeHead(500, { 'content-type': 'application/xml' });
        return res.end('<Error><Code>InternalError</Code><Message>disk on fire</Message></Error>');
      }
      const up = request(`${endpoint}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const via = { ...env, AWS_ENDPOINT_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
    try {
      const r = await cli(['run', cfg, '--out', 's3://out/runs/f'], { env: via });
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/could not upload shard s3:\/\/out\/runs\/f\/part-0000\d\.(parquet|arrow): HTTP 500/);
      expect(r.stderr).toMatch(/finished shard\(s\) are kept in s3:\/\/out\/runs\/f.*--resume/s);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const index = await json('runs/f/index.json');
      expect(index.complete).toBe(false);
      expect(index.shards.length).toBeGreaterThanOrEqual(1);
      failing = false;
      const resumed = await cli(['run', cfg, '--out', 's3://out/runs/f', '--resume'], { env: via });
      expect(resumed.status, resumed.stderr).toBe(0);
      await expectSameOutput(await runLocal(), 'runs/f/');
    } finally {
      proxy.close();
    }
  }, 240_000);

  test('reading from and writing to S3: the same rows (ids aside), tokens per source and rejects as the same pipeline on local files', async () => {
    const local = await runLocal();
    await client.send(new PutObjectCommand({ Bucket: 'out', Key: 'inputs/t.jsonl', Body: readFileSync(join(dir, 't.jsonl')) }));
    await client.send(new PutObjectCommand({ Bucket: 'out', Key: 'inputs/00000.tar', Body: readFileSync('sample-data/captions/00000.tar') }));
    const remote = join(dir, 'remote.yaml');
    writeFileSync(remote, readFileSync(cfg, 'utf8').replace('["t.jsonl"]', '["s3://out/inputs/t.jsonl"]').replace(/\[[^\]]*00000\.tar"\]/, '["s3://out/inputs/*.tar"]'));
    const r = await cli(['run', remote, '--out', 's3://out/runs/both'], { env });
    expect(r.status, r.stderr).toBe(0);
    const { readShardRows } = await import('../../src/shards/parquet-io.js');
    const rows = async (file: string) => {
      const out = [];
      // Ids differ only by where the input was (a local path or an s3:// URL).
      for await (const row of readShardRows(file)) out.push({ ...row, sampleIds: row.sampleIds.map((id: string) => id.replace(/^.*?(t\.jsonl|00000\.tar)/, '$1')) });
      return out;
    };
    const index = await json('runs/both/index.json');
    const localIndex = JSON.parse(readFileSync(join(local, 'index.json'), 'utf8'));
    expect(index.totals.tokensBySource).toEqual(localIndex.totals.tokensBySource);
    expect(index.shards.length).toBe(localIndex.shards.length);
    for (const s of index.shards) {
      const name = s.files.find((f: { format: string }) => f.format === 'parquet').path;
      writeFileSync(join(dir, `both-${name}`), await bytes(`runs/both/${name}`));
      expect(await rows(join(dir, `both-${name}`)), name).toEqual(await rows(join(local, name)));
    }
    expect((await bytes('runs/both/rejects.jsonl')).toString()).toBe(readFileSync(join(local, 'rejects.jsonl'), 'utf8'));
  }, 240_000);

  test('an output bucket that does not exist: a one-line error before any work (exit 3)', async () => {
    const r = await cli(['run', cfg, '--out', 's3://no-such-bucket/x'], { env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot list the output s3:\/\/no-such-bucket\/x: HTTP 404/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'no-such-bucket'))).toBe(false);
  }, 60_000);
});
