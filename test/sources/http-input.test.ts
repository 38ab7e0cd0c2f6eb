/**
 * http(s):// inputs against a real HTTP server on loopback: files read as local copies are (ids and
 * provenance show the URL), and every way a download fails — 404, 403, 500, a body cut mid-way, a server
 * that goes silent — is a reject for that URL while the others are read; 5xx and cut bodies are tried again.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket, AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSource, texts } from '../helpers/read-source.js';
import { openSources, refuseUrls } from '../../src/sources/open.js';
import { loadConfig, sourceConfig } from '../../src/config/load.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import { silentLogger } from '../../src/core/log.js';
import { expandPaths } from '../../src/sources/units.js';
import { displayUrl } from '../../src/sources/http-input.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const ENV = ['SHARDLOOM_HTTP_TIMEOUT_MS', 'SHARDLOOM_HTTP_RETRIES', 'SHARDLOOM_HTTP_BACKOFF_MS'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
const line = (i: number) => JSON.stringify({ id: `d${i}`, text: `document number ${i} `.repeat(20) }) + '\n';
const doc = (a: number, b: number) => Buffer.from(Array.from({ length: b - a }, (_, k) => line(a + k)).join(''));
const gz = readFileSync('sample-data/text/gpl-3.jsonl.gz');
/** Requests per path; how many times a path fails before it answers (`flaky`). */
const hits: Record<string, number> = {};
let base = '';
let server: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const n = (hits[path] = (hits[path] ?? 0) + 1);
    const send = (body: Buffer) => { res.writeHead(200, { 'content-length': body.length }); res.end(body); };
    if (path === '/data/gpl-3.jsonl.gz') return send(gz);
    if (path === '/data/part-0.jsonl') return send(doc(0, 3));
    if (path === '/data/part-1.jsonl') return send(doc(3, 5));
    if (path === '/auth/secret.jsonl') return req.headers.authorization === `Basic ${Buffer.from('me:p w').toString('base64')}` ? send(doc(9, 10)) : (res.statusCode = 401, res.end());
    if (path.startsWith('/status/')) { res.statusCode = Number(path.split('/')[2]); return res.end('no'); }
    if (path === '/flaky-500.jsonl' && n === 1) { res.statusCode = 503; return res.end(); }
    if (path === '/flaky-500.jsonl') return send(doc(20, 21));
    const body = doc(30, 40);
    if (path === '/flaky-cut.jsonl' && n > 1) return send(body);
    if (path === '/cut.jsonl' || path === '/flaky-cut.jsonl') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 40));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (path === '/silent-body.jsonl') { res.writeHead(200, { 'content-length': body.length }); res.write(body.subarray(0, 40)); return; }
    if (path === '/silent.jsonl') return; // no headers ever
    res.statusCode = 404;
    res.end();
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A generous idle timeout for loopback answers on a loaded machine (the silence test sets a short one); quick retries.
  Object.assign(process.env, { SHARDLOOM_HTTP_TIMEOUT_MS: '5000', SHARDLOOM_HTTP_RETRIES: '1', SHARDLOOM_HTTP_BACKOFF_MS: '10' });
});

afterAll(() => {
  for (const s of sockets) s.destroy();
  server?.close();
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
});

const text = (paths: string[]) => ({ name: 'web', kind: 'text' as const, idField: 'id', paths: paths as [string, ...string[]] });

describe('http(s):// inputs', () => {
  test('a gzip JSONL and a {0..1} range read as their local copies, ids and provenance under the URL', async () => {
    writeFileSync(join(dir, 'gpl-3.jsonl.gz'), gz);
    const local = await readSource(text(['gpl-3.jsonl.gz']), dir);
    const remote = await readSource(text([`${base}/data/gpl-3.jsonl.gz`, `${base}/data/part-{0..1}.jsonl`]), dir);
    expect(remote.rejects).toEqual([]);
    expect(remote.units.map((u) => [u.display, u.size])).toEqual([[`${base}/data/gpl-3.jsonl.gz`, 0], [`${base}/data/part-0.jsonl`, 0], [`${base}/data/part-1.jsonl`, 0]]);
    expect(texts(remote.docs).slice(0, local.docs.length)).toEqual(texts(local.docs));
    expect(remote.ids.slice(local.docs.length)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    expect(remote.docs[0].provenance).toEqual({ ...local.docs[0].provenance, file: `${base}/data/gpl-3.jsonl.gz` });
    expect(remote.docs.at(-1)!.provenance).toMatchObject({ file: `${base}/data/part-1.jsonl`, location: 'line 2' });
  });

  test('failures are rejects naming the URL and why; 5xx and cut bodies are tried again; the other URLs are read', async () => {
    const urls = ['/status/404', '/status/403', '/status/500', '/flaky-500.jsonl', '/cut.jsonl', '/flaky-cut.jsonl', '/data/part-1.jsonl'].map((p) => base + p);
    const r = await readSource(text(urls), dir);
    // In URL order; the flaky ones and part-1 are read.
    expect(r.ids).toEqual(['d3', 'd4', 'd20', ...Array.from({ length: 10 }, (_, k) => `d${30 + k}`)]);
    const why = Object.fromEntries(r.rejects.map((x) => [x.file.slice(base.length), [x.reason, x.location, x.detail]]));
    expect(why).toEqual({
      '/cut.jsonl': ['file.read_error', 'file', expect.stringMatching(/^cannot fetch the URL: body cut after 40 of \d+ bytes: terminated/)],
      '/status/403': ['file.read_error', 'file', 'cannot fetch the URL: HTTP 403 Forbidden'],
      '/status/404': ['file.missing', 'file', 'cannot fetch the URL: HTTP 404 Not Found'],
      '/status/500': ['file.read_error', 'file', 'cannot fetch the URL: HTTP 500 Internal Server Error'],
    });
    // Retried once (SHARDLOOM_HTTP_RETRIES=1): 5xx and cuts; not 4xx.
    const tries = ['/status/404', '/status/403', '/status/500', '/flaky-500.jsonl', '/cut.jsonl', '/flaky-cut.jsonl'].map((p) => hits[p]);
    expect(tries).toEqual([1, 1, 2, 2, 2, 2]);
  });

  test('a server that goes silent (before the headers, or mid-body) fails the URL after the idle timeout, tried again once', async () => {
    process.env.SHARDLOOM_HTTP_TIMEOUT_MS = '400';
    try {
      const t0 = Date.now();
      const [a, b] = await Promise.all([readSource(text([`${base}/silent.jsonl`]), dir), readSource(text([`${base}/silent-body.jsonl`]), dir)]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2 * 400); // two tries, each waited for the timeout
      expect([...a.rejects, ...b.rejects].map((x) => [x.file.slice(base.length), x.reason, x.detail])).toEqual([
        ['/silent.jsonl', 'file.read_error', 'cannot fetch the URL: no answer: no data for 400 ms'],
        ['/silent-body.jsonl', 'file.read_error', expect.stringMatching(/^cannot fetch the URL: body cut after 40 of \d+ bytes: no data for 400 ms$/)],
      ]);
      expect([hits['/silent.jsonl'], hits['/silent-body.jsonl']]).toEqual([2, 2]);
    } finally {
      process.env.SHARDLOOM_HTTP_TIMEOUT_MS = '5000';
    }
    // Nothing is left in the spool directory.
    const spool = join(tmpdir(), `shardloom-spool-${process.pid}`);
    expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
  });

  test('one URL is downloaded ahead of the one being read, not more; stopping early leaves no spool file', async () => {
    const urls = ['gpl-3.jsonl.gz', 'part-0.jsonl', 'part-1.jsonl'].map((f) => `${base}/data/${f}`);
    const count = () => ['gpl-3.jsonl.gz', 'part-0.jsonl', 'part-1.jsonl'].map((f) => hits[`/data/${f}`] ?? 0);
    const before = count();
    const config = { sources: [sourceConfig(text(urls))], baseDir: dir } as Pick<ResolvedConfig, 'sources' | 'baseDir'> as ResolvedConfig;
    const [src] = await openSources(config, { rank: 0, worldSize: 1, rejects: new Rejects(new Stats(), undefined, 0, true), signal: new AbortController().signal, log: silentLogger });
    const docs = src.documents()[Symbol.asyncIterator]();
    expect((await docs.next()).value.provenance.file).toBe(urls[0]);
    const requested = async () => { for (let t = 0; t < 100 && count()[1] === before[1]; t++) await new Promise((r) => setTimeout(r, 20)); return count().map((n, i) => n - before[i]); };
    expect(await requested()).toEqual([1, 1, 0]);
    await docs.return!(undefined);
    const spool = join(tmpdir(), `shardloom-spool-${process.pid}`);
    for (let t = 0; t < 100 && existsSync(spool) && readdirSync(spool).length > 0; t++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
  });

  test('user:password@ reaches the server but not the ids or rejects', async () => {
    const url = base.replace('//', '//me:p%20w@') + '/auth/secret.jsonl';
    const r = await readSource(text([url]), dir);
    expect(r.ids).toEqual(['d9']);
    expect(r.docs[0].provenance.file).toBe(`${base}/auth/secret.jsonl`);
    expect(displayUrl('https://u:p@h.example/a?x=1')).toBe('https://h.example/a?x=1');
  });

  test('a glob character in an http(s) URL is a config error naming the key and its line; ranges are not globs', async () => {
    const cfg = join(dir, 'glob.yaml');
    writeFileSync(cfg, `sources:\n  - name: web\n    kind: text\n    paths:\n      - "${base}/data/part-{0..1}.jsonl?sig=a"\n      - "${base}/data/*.jsonl"\n`);
    expect(() => refuseUrls(loadConfig(cfg))).toThrow(`${cfg}:6: sources[0].paths[1]: "${base}/data/*.jsonl": "*" in an http(s) URL — a web server cannot be listed, so http(s) inputs take no globs`);
    await expect(expandPaths('web', [`${base}/x/[ab].jsonl`], dir)).rejects.toThrow(/source "web": .*"\[" in an http\(s\) URL/);
    await expect(expandPaths('web', ['https://'], dir)).rejects.toThrow('source "web": "https://": not a valid URL');
    const ok = await expandPaths('web', [`${base}/a.jsonl?q=*`, `https://[::1]:8443/{a,b}.jsonl`], dir);
    expect(ok.units.map((u) => u.path)).toEqual([`${base}/a.jsonl?q=*`, 'https://[::1]:8443/a.jsonl', 'https://[::1]:8443/b.jsonl']);
  });
});
