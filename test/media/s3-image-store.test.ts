/**
 * An image store in a bucket (`type: dir`, `path: s3://…`) against s3rver on loopback: the layouts a local
 * directory has (SHA-1 of the URL with any extension, flat or in a 2-character subdirectory; plain names; a
 * manifest, itself on s3), the size limit and missing images; and against a loopback server that fails
 * (500) or goes silent: the image fails with its reason after the timeout, with at most `concurrency`
 * requests in flight.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import S3rver from 's3rver';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createImageStore, urlKey } from '../../src/media/image-store.js';
import type { MediaError } from '../../src/media/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const ENV = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_MAX_ATTEMPTS', 'AWS_PROFILE', 'SHARDLOOM_S3_TIMEOUT_MS'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
const errorOf = (p: Promise<unknown>) => p.then(() => { throw new Error('resolved'); }, (e: MediaError) => e);
let s3rver: S3rver;
let endpoint = '';

function useEnv(url: string) {
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', SHARDLOOM_S3_TIMEOUT_MS: '10000' });
  for (const k of ['AWS_ENDPOINT_URL_S3', 'AWS_PROFILE', 'AWS_MAX_ATTEMPTS']) delete process.env[k];
}

beforeAll(async () => {
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'media', configs: [] }] });
  endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const put = (key: string, body: string | Buffer) => client.send(new PutObjectCommand({ Bucket: 'media', Key: key, Body: body }));
  const h = (u: string) => urlKey(u);
  await Promise.all([
    put(`images/${h('http://a/1.jpg')}.jpg`, 'one'),
    put(`images/${h('http://b/2.png').slice(0, 2)}/${h('http://b/2.png')}.png`, 'two'),
    put(`images/${h('http://c/3')}.txt`, 'not an image extension'),
    put(`images/${h('http://c/3')}.jpg.bak`, 'nor this'),
    put('images/img3.jpg', 'three'),
    put(`images/${h('http://big/1.jpg')}.webp`, Buffer.alloc(5000, 1)),
    put('images/big.jpg', Buffer.alloc(5000, 2)),
    put('other/' + h('http://a/1.jpg') + '.jpg', 'outside the prefix'),
    put('lists/manifest.jsonl', [JSON.stringify({ url: 'http://m/1', file: 'img3.jpg' }), 'not json', JSON.stringify({ url: 'http://m/big', file: 'big.jpg' }), JSON.stringify({ url: 'http://m/gone', file: 'gone.jpg' })].join('\n')),
  ]);
  client.destroy();
  useEnv(endpoint);
}, 30_000);

afterAll(async () => {
  await s3rver?.close();
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
});

describe('image store: an s3:// directory', () => {
  test('keyed by SHA-1 (any known extension, flat or in a subdirectory), plain names, manifest on s3; too large; missing', async () => {
    const store = await createImageStore({ type: 'dir', path: 's3://media/images' }, 1000);
    expect(store.concurrency).toBe(16);
    const [one, two, three] = await Promise.all(['http://a/1.jpg', 'http://b/2.png', 'img3.jpg'].map((u) => store.get(u)));
    expect([one, two, three].map((b) => Buffer.from(b).toString())).toEqual(['one', 'two', 'three']);
    const missing = await errorOf(store.get('http://c/3'));
    expect([missing.reason, missing.message]).toEqual(['image.missing', 'not in the image directory s3://media/images/: http://c/3']);
    const big = await errorOf(store.get('http://big/1.jpg'));
    expect([big.reason, big.message]).toEqual(['image.too_large', `http://big/1.jpg: s3://media/images/${urlKey('http://big/1.jpg')}.webp: 5000 bytes > images.maxBytes 1000`]);
    expect((await errorOf(store.get('big.jpg'))).reason).toBe('image.too_large'); // by the GET's length
    expect((await errorOf(store.get('../other/x.jpg'))).reason).toBe('image.missing');

    const m = await createImageStore({ type: 'dir', path: 's3://media/images/', keyBy: 'manifest', manifest: 's3://media/lists/manifest.jsonl' }, 1000);
    expect(Buffer.from(await m.get('http://m/1')).toString()).toBe('three');
    expect((await errorOf(m.get('http://m/big'))).reason).toBe('image.too_large');
    expect((await errorOf(m.get('http://m/gone'))).reason).toBe('image.missing');
    expect((await errorOf(m.get('http://a/1.jpg'))).reason).toBe('image.missing'); // not in the manifest
    // A local directory may use an s3 manifest too; a manifest that cannot be fetched is a setup error.
    await expect(createImageStore({ type: 'dir', path: dir, keyBy: 'manifest', manifest: 's3://media/lists/nope.jsonl' }, 1000))
      .rejects.toThrow(/manifest "s3:\/\/media\/lists\/nope\.jsonl": cannot fetch the object: HTTP 404/);
  });

  test('a server that fails (500) or goes silent: the image fails with its reason after retries or the timeout, `concurrency` requests at a time', async () => {
    let open = 0;
    let most = 0;
    const hits: Record<string, number> = {};
    const sockets = new Set<Socket>();
    const server: Server = createServer((req, res) => {
      const bucket = req.url!.split('/')[1];
      hits[bucket] = (hits[bucket] ?? 0) + 1;
      if (bucket === 'broken') { res.statusCode = 500; res.setHeader('content-type', 'application/xml'); return res.end('<Error><Code>InternalError</Code><Message>boom</Message></Error>'); }
      most = Math.max(most, ++open); // silent: never answers
      req.on('close', () => open--);
    });
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    useEnv(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const broken = await createImageStore({ type: 'dir', path: 's3://broken/images/', retries: 1 }, 1000);
      const e = await errorOf(broken.get('http://a/1.jpg'));
      expect([e.reason, e.retryable]).toEqual(['image.fetch_failed', true]);
      expect(e.message).toMatch(/^http:\/\/a\/1\.jpg: s3:\/\/broken\/images\/: HTTP 500 .*boom/);
      expect(hits.broken).toBe(2); // one retry, the SDK itself tries once
      const again = await errorOf(broken.get('http://a/1.jpg')); // remembered: no new request
      expect([again.message, hits.broken]).toEqual([e.message, 2]);

      const silent = await createImageStore({ type: 'dir', path: 's3://silent/images/', retries: 0, timeoutSeconds: 0.3, concurrency: 2 }, 1000);
      const t0 = Date.now();
      const errors = await Promise.all(['http://s/1', 'http://s/2', 'http://s/3', 'http://s/4'].map((u) => errorOf(silent.get(u))));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2 * 300 - 20); // four images, two at a time, 300 ms each
      expect(errors.map((x) => [x.reason, x.message])).toEqual([1, 2, 3, 4].map((i) => ['image.timeout', `http://s/${i}: s3://silent/images/: no answer in 300 ms`]));
      expect(hits.silent).toBe(4);
      expect(most).toBe(2);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
      useEnv(endpoint);
    }
  });
});
