import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { createImageStore, urlKey } from '../../src/media/image-store.js';
import { MediaError } from '../../src/media/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const bytes = (s: string) => Buffer.from(s);
const reasonOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: MediaError) => e.reason);
const errorOf = (p: Promise<unknown>) => p.then(() => { throw new Error('resolved'); }, (e: MediaError) => e);

describe('image store: directory and tar', () => {
  test('directory keyed by SHA-1 of the URL (flat or in 2-char subdirs), plain names, manifest', async () => {
    const d = join(dir, 'imgs');
    mkdirSync(join(d, urlKey('http://b/2.png').slice(0, 2)), { recursive: true });
    writeFileSync(join(d, urlKey('http://a/1.jpg') + '.jpg'), bytes('one'));
    writeFileSync(join(d, urlKey('http://b/2.png').slice(0, 2), urlKey('http://b/2.png') + '.png'), bytes('two'));
    writeFileSync(join(d, 'img3.jpg'), bytes('three'));
    const store = await createImageStore({ type: 'dir', path: d }, 1000);
    expect((await store.get('http://a/1.jpg')).toString()).toBe('one');
    expect((await store.get('http://b/2.png')).toString()).toBe('two');
    expect((await store.get('img3.jpg')).toString()).toBe('three');
    expect(await reasonOf(store.get('http://nope/x.jpg'))).toBe('image.missing');
    writeFileSync(join(dir, 'manifest.jsonl'), JSON.stringify({ url: 'http://m/1', file: 'img3.jpg' }) + '\nnot json\n');
    const m = await createImageStore({ type: 'dir', path: d, keyBy: 'manifest', manifest: join(dir, 'manifest.jsonl') }, 1000);
    expect((await m.get('http://m/1')).toString()).toBe('three');
    expect(await reasonOf(m.get('http://a/1.jpg'))).toBe('image.missing');
    const small = await createImageStore({ type: 'dir', path: d }, 2);
    expect(await reasonOf(small.get('img3.jpg'))).toBe('image.too_large');
  });

  test('tar read by offset without extracting, long names included', async () => {
    const p = pack();
    const chunks: Buffer[] = [];
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    const done = new Promise<void>((r) => p.on('end', () => r()));
    p.entry({ name: `${urlKey('http://t/1.jpg')}.jpg` }, bytes('tar-one'));
    p.entry({ name: 'deep/' + 'x'.repeat(120) + '/named.webp' }, bytes('long-name'));
    p.entry({ name: 'big.jpg' }, Buffer.alloc(5000, 1));
    p.finalize();
    await done;
    writeFileSync(join(dir, 'imgs.tar'), Buffer.concat(chunks));
    writeFileSync(join(dir, 'tman.jsonl'), [JSON.stringify({ url: 'u-long', file: 'deep/' + 'x'.repeat(120) + '/named.webp' }), JSON.stringify({ url: 'u-big', file: 'big.jpg' })].join('\n'));
    const store = await createImageStore({ type: 'tar', path: join(dir, 'imgs.tar') }, 10_000);
    expect((await store.get('http://t/1.jpg')).toString()).toBe('tar-one');
    expect(await reasonOf(store.get('http://t/none.jpg'))).toBe('image.missing');
    const man = await createImageStore({ type: 'tar', path: join(dir, 'imgs.tar'), keyBy: 'manifest', manifest: join(dir, 'tman.jsonl') }, 1000);
    expect((await man.get('u-long')).toString()).toBe('long-name');
    expect(await reasonOf(man.get('u-big'))).toBe('image.too_large');
  });
});

describe('image store: HTTP against a local server', () => {
  let server: Server;
  let base = '';
  const hits: Record<string, number> = {};
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      hits[url] = (hits[url] ?? 0) + 1;
      if (url === '/ok.jpg') return res.end('ok-bytes');
      if (url === '/flaky.jpg') {
        if (hits[url] < 3) { res.statusCode = 503; return res.end(); }
        return res.end('third-time');
      }
      if (url === '/gone.jpg') { res.statusCode = 404; return res.end(); }
      if (url === '/slow.jpg') { setTimeout(() => res.end('late'), 3000); return; }
      if (url === '/huge.jpg') { res.setHeader('content-length', '100000'); return res.end(Buffer.alloc(100000)); }
      if (url === '/chunked-huge.jpg') { res.write(Buffer.alloc(3000)); res.write(Buffer.alloc(3000)); return res.end(); }
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

  test('fetch, retry on 5xx with back-off, no retry on 404, timeout, size limit, cache', async () => {
    const cache = join(dir, 'cache');
    const store = await createImageStore({ type: 'http', concurrency: 4, timeoutSeconds: 0.5, retries: 2, cacheDir: cache }, 5000);
    expect((await store.get(`${base}/ok.jpg`)).toString()).toBe('ok-bytes');
    expect((await store.get(`${base}/flaky.jpg`)).toString()).toBe('third-time');
    expect(hits['/flaky.jpg']).toBe(3);
    expect(await reasonOf(store.get(`${base}/gone.jpg`))).toBe('image.fetch_failed');
    expect(hits['/gone.jpg']).toBe(1);
    const t0 = Date.now();
    expect(await reasonOf(store.get(`${base}/slow.jpg`))).toBe('image.timeout');
    expect(Date.now() - t0).toBeLessThan(2900);
    expect(await reasonOf(store.get(`${base}/huge.jpg`))).toBe('image.too_large');
    expect(await reasonOf(store.get(`${base}/chunked-huge.jpg`))).toBe('image.too_large');
    // The cache answers without asking the server again.
    await store.get(`${base}/ok.jpg`);
    expect(hits['/ok.jpg']).toBe(1);
    expect(readdirSync(cache).sort()).toEqual([urlKey(`${base}/flaky.jpg`), urlKey(`${base}/ok.jpg`)].sort());
  });

  test('a server that is down is a fetch failure, not a crash', async () => {
    const store = await createImageStore({ type: 'http', timeoutSeconds: 1, retries: 1 }, 5000);
    expect(await reasonOf(store.get('http://127.0.0.1:9/none.jpg'))).toBe('image.fetch_failed');
  });
});

/**
 * A body that stops: the connection closed (a fetch failure, retried) vs. a stall past the deadline (a
 * timeout, retried). The server counts requests, so the retries show.
 */
describe('image store: HTTP bodies that stop short', () => {
  let server: Server;
  let base = '';
  const hits: Record<string, number> = {};
  const part = Buffer.alloc(400, 7);
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      hits[url] = (hits[url] ?? 0) + 1;
      // Close the socket once the part is in the kernel's hands: the client reads all 400 bytes, then EOF.
      const closeAfterPart = () => res.write(part, () => setTimeout(() => res.socket?.destroy(), 20));
      if (url === '/cut.jpg') { res.writeHead(200, { 'content-length': '1000' }); return closeAfterPart(); }
      if (url === '/cut-chunked.jpg') { res.writeHead(200); return closeAfterPart(); }
      if (url === '/cut-then-ok.jpg') {
        if (hits[url] === 1) { res.writeHead(200, { 'content-length': '1000' }); return closeAfterPart(); }
        return res.end(Buffer.alloc(1000, 1));
      }
      if (url === '/no-headers.jpg') return req.socket.destroy();
      if (url === '/stall.jpg') { res.writeHead(200, { 'content-length': '1000' }); return res.write(part); } // then nothing
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

  test('a connection closed mid-body is image.fetch_failed, says how much came, and is retried', async () => {
    const store = await createImageStore({ type: 'http', timeoutSeconds: 5, retries: 2 }, 5000);
    const t0 = Date.now();
    const e = await errorOf(store.get(`${base}/cut.jpg`));
    expect(e).toBeInstanceOf(MediaError);
    expect([e.reason, e.retryable]).toEqual(['image.fetch_failed', true]);
    expect(e.message).toMatch(/\/cut\.jpg: connection closed after 400 of 1000 bytes \(/);
    expect(hits['/cut.jpg']).toBe(3);
    expect(Date.now() - t0).toBeLessThan(4500); // three quick failures and the back-off, never the 5 s deadline
    const chunked = await errorOf(store.get(`${base}/cut-chunked.jpg`));
    expect([chunked.reason, hits['/cut-chunked.jpg']]).toEqual(['image.fetch_failed', 3]);
    expect(chunked.message).toMatch(/connection closed after 400 of an unknown number of bytes/);
    expect(await reasonOf(store.get(`${base}/no-headers.jpg`))).toBe('image.fetch_failed');
    expect(hits['/no-headers.jpg']).toBe(3);
    // A retry that gets the whole body succeeds.
    expect((await store.get(`${base}/cut-then-ok.jpg`)).length).toBe(1000);
    expect(hits['/cut-then-ok.jpg']).toBe(2);
  });

  test('a body that stalls past timeoutSeconds is image.timeout, says how much came, and is retried', async () => {
    const store = await createImageStore({ type: 'http', timeoutSeconds: 1, retries: 1 }, 5000);
    const t0 = Date.now();
    const e = await errorOf(store.get(`${base}/stall.jpg`));
    expect([e.reason, e.retryable]).toEqual(['image.timeout', true]);
    expect(e.message).toMatch(/\/stall\.jpg: body not complete in 1000 ms \(400 of 1000 bytes\)/);
    expect(hits['/stall.jpg']).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - t0).toBeLessThan(8000);
  });
});
