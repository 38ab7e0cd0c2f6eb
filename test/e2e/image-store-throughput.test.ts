/**
 * The HTTP image store under load (issue #14): `concurrency` requests really in flight, one request per URL
 * however many gets ask for it at once, and a URL that failed for good is not fetched again in the run.
 * A real loopback server counts what it sees; assertions are on counts, times only as loose bounds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createImageStore, FAILED_URLS_KEPT } from '../../src/media/image-store.js';
import type { MediaError } from '../../src/media/errors.js';

const errorOf = (p: Promise<unknown>) => p.then(() => { throw new Error('resolved'); }, (e: MediaError) => e);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('image store: HTTP throughput against a local server', () => {
  let server: Server;
  let base = '';
  const hits: Record<string, number> = {};
  const order: string[] = [];
  let active = 0;
  let peak = 0;
  let sockets = 0;
  const part = Buffer.alloc(400, 7);
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      hits[url] = (hits[url] ?? 0) + 1;
      order.push(url);
      if (url.startsWith('/held/')) {
        // Counted while the response is held: the number of requests the client really has in flight.
        active++;
        peak = Math.max(peak, active);
        return setTimeout(() => { active--; res.end(`bytes of ${url}`); }, 300);
      }
      if (url === '/shared.jpg') return setTimeout(() => res.end('shared-bytes'), 300);
      if (url === '/ok.jpg') return res.end('ok');
      if (url === '/flaky.jpg') {
        if (hits[url] < 3) { res.statusCode = 503; return res.end(); }
        return res.end('third-time');
      }
      if (url === '/cut.jpg') { res.writeHead(200, { 'content-length': '1000' }); return res.write(part, () => setTimeout(() => res.socket?.destroy(), 20)); }
      if (url === '/stall.jpg') { res.writeHead(200, { 'content-length': '1000' }); return res.write(part); } // then nothing
      if (url.startsWith('/gone')) { res.statusCode = 404; return res.end(); }
      res.statusCode = 500;
      res.end();
    });
    server.on('connection', () => sockets++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

  test.each([16, 48])('concurrency %i: that many requests in flight on the server, never more, on kept-alive sockets', async (concurrency) => {
    peak = 0;
    sockets = 0;
    const store = await createImageStore({ type: 'http', concurrency, timeoutSeconds: 30, retries: 0 }, 5000);
    const urls = Array.from({ length: 2 * concurrency }, (_, i) => `${base}/held/${concurrency}/${i}.jpg`);
    const got = await Promise.all(urls.map((u) => store.get(u)));
    expect(got.map((b) => Buffer.from(b).toString())).toEqual(urls.map((u) => `bytes of ${u.slice(base.length)}`));
    expect(peak).toBe(concurrency);
    expect(sockets).toBeLessThanOrEqual(concurrency); // the second half of the URLs reused the first half's sockets
  });

  test('concurrent gets of one URL share one request', async () => {
    const store = await createImageStore({ type: 'http', concurrency: 4, timeoutSeconds: 30 }, 5000);
    const got = await Promise.all(Array.from({ length: 20 }, () => store.get(`${base}/shared.jpg`)));
    expect(new Set(got.map((b) => Buffer.from(b).toString()))).toEqual(new Set(['shared-bytes']));
    expect(hits['/shared.jpg']).toBe(1);
  });

  test.each([
    ['/fail500.jpg', 'image.fetch_failed', /HTTP 500/],
    ['/cut.jpg', 'image.fetch_failed', /connection closed after 400 of 1000 bytes/],
    ['/stall.jpg', 'image.timeout', /body not complete in 1000 ms \(400 of 1000 bytes\)/],
    ['/gone.jpg', 'image.fetch_failed', /HTTP 404/],
  ])('%s cited by 20 gets is fetched 1 + retries times (once if not retryable); all 20 reject as %s', async (path, reason, message) => {
    const retries = 2;
    const store = await createImageStore({ type: 'http', concurrency: 4, timeoutSeconds: 1, retries }, 5000);
    const t0 = Date.now();
    // Ten gets while the first fetch is still going, ten more once it has failed.
    const first = await Promise.all(Array.from({ length: 10 }, () => errorOf(store.get(base + path))));
    const later = [];
    for (let i = 0; i < 10; i++) later.push(await errorOf(store.get(base + path)));
    const elapsed = Date.now() - t0;
    for (const e of [...first, ...later]) {
      expect(e.reason).toBe(reason);
      expect(e.message).toMatch(message);
    }
    expect(new Set([...first, ...later].map((e) => e.message)).size).toBe(1);
    expect(hits[path]).toBe(path === '/gone.jpg' ? 1 : 1 + retries);
    // One run of the retries (at most 3 × 1 s + 0.6 s of back-off), not twenty: 20 × that would be > 70 s.
    expect(elapsed).toBeLessThan(15_000);
  });

  test(`the memory of failed URLs is bounded: past ${FAILED_URLS_KEPT} the oldest is forgotten and fetched again`, async () => {
    const store = await createImageStore({ type: 'http', concurrency: 64, timeoutSeconds: 5, retries: 0 }, 5000);
    const [first, last] = [`${base}/gone/first.jpg`, `${base}/gone/last.jpg`];
    await errorOf(store.get(first));
    // URLs that do not parse fail at once, without a request: FAILED_URLS_KEPT − 1 of them fill the memory.
    for (let b = 0; b < FAILED_URLS_KEPT - 1; b += 5000) {
      const batch = Array.from({ length: Math.min(5000, FAILED_URLS_KEPT - 1 - b) }, (_, i) => errorOf(store.get(`http://[unparsable/${b + i}`)));
      expect(new Set((await Promise.all(batch)).map((e) => e.reason))).toEqual(new Set(['image.fetch_failed']));
    }
    await errorOf(store.get(first)); // still remembered: the memory is full, not past it
    expect(hits['/gone/first.jpg']).toBe(1);
    await errorOf(store.get(last)); // one more: the oldest, `first`, is forgotten
    await errorOf(store.get(last));
    expect(hits['/gone/last.jpg']).toBe(1);
    await errorOf(store.get(first));
    expect(hits['/gone/first.jpg']).toBe(2);
  });

  test('a back-off holds no request slot: other URLs are fetched while a retry waits', async () => {
    order.length = 0;
    const store = await createImageStore({ type: 'http', concurrency: 1, timeoutSeconds: 30, retries: 2 }, 5000);
    const flaky = store.get(`${base}/flaky.jpg`);
    await sleep(20); // the flaky URL takes the only slot first
    const ok = store.get(`${base}/ok.jpg`);
    expect(Buffer.from(await flaky).toString()).toBe('third-time');
    expect(Buffer.from(await ok).toString()).toBe('ok');
    // Under a slot held through the back-offs, /ok.jpg would come after all three flaky attempts.
    expect(order.indexOf('/ok.jpg')).toBeLessThan(order.lastIndexOf('/flaky.jpg'));
  });
});
