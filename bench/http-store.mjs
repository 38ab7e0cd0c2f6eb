// bench:http — the HTTP image store under the media stage: 98 URLs over 7 loopback "hosts" (127.0.0.2–8:
// four good, one that stalls past the timeout, one that answers 500, one that closes mid-body), 40 OBELICS-like
// documents citing them, imageStore http with concurrency 16, timeoutSeconds 2, retries 2; the media stage as
// src/media/index.ts wires it. Prints seconds, server requests and peak requests in flight.
//
//   npm run bench:http            (node bench/http-store.mjs ROOT measures the built tree at ROOT)
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
const root = resolve(process.argv[2] ?? '.');
const { default: sharp } = await import(join(root, 'node_modules/sharp/dist/index.mjs'));
const { createImageStore } = await import(join(root, 'dist/media/image-store.js'));
const { mediaStage } = await import(join(root, 'dist/media/stage.js'));
const { cpuBackend } = await import(join(root, 'dist/compute/cpu.js'));
const { Rejects } = await import(join(root, 'dist/core/rejects.js'));
const { Stats } = await import(join(root, 'dist/core/stats.js'));

const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#4a7' } }).jpeg().toBuffer();
// Hosts: four good ones (80 URLs, 30–150 ms each), one that stalls past the timeout, one that answers 500,
// one that closes the connection mid-body (6 URLs each).
const kinds = { 2: 'good', 3: 'good', 4: 'good', 5: 'good', 6: 'stall', 7: 'fail500', 8: 'cut' };
let requests = 0, active = 0, peak = 0;
const servers = [];
for (const [h, kind] of Object.entries(kinds)) {
  const server = createServer((req, res) => {
    requests++; peak = Math.max(peak, ++active);
    res.on('close', () => active--);
    if (kind === 'good') return setTimeout(() => res.end(jpeg), 30 + (requests * 37) % 120);
    if (kind === 'fail500') { res.statusCode = 500; return res.end(); }
    res.writeHead(200, { 'content-length': String(jpeg.length) });
    if (kind === 'stall') return res.write(jpeg.subarray(0, 100));
    res.write(jpeg.subarray(0, 100), () => setTimeout(() => res.socket?.destroy(), 10));
  });
  await new Promise((r) => server.listen(8080, `127.0.0.${h}`, r));
  servers.push(server);
}
const good = Array.from({ length: 80 }, (_, i) => `http://127.0.0.${2 + (i % 4)}:8080/img/${i}.jpg`);
const bad = ['6', '7', '8'].flatMap((h) => Array.from({ length: 6 }, (_, i) => `http://127.0.0.${h}:8080/img/${i}.jpg`));
// 40 documents of 4–8 images, every URL cited at least once; most documents also cite one or two of the
// bad URLs (a site's logo on a dead CDN), so the bad ones are cited several times each.
let seed = 7;
const rnd = (n) => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return (((t ^ (t >>> 14)) >>> 0) % n); };
const docs = Array.from({ length: 40 }, (_, d) => {
  const urls = [good[2 * d], good[2 * d + 1], ...Array.from({ length: 2 + rnd(3) }, () => good[rnd(good.length)])];
  const mine = d < bad.length ? [bad[d]] : [];
  for (let k = rnd(3); k > 0; k--) mine.push(bad[rnd(bad.length)]);
  for (const u of mine) urls.splice(rnd(urls.length + 1), 0, u);
  return { id: `d${d}`, source: 'web', kind: 'interleaved', provenance: { source: 'web', file: 'bench', location: String(d) },
    segments: urls.flatMap((u) => [{ type: 'text', text: `about ${u}` }, { type: 'image', image: { kind: 'url', url: u } }]) };
});
const cited = docs.flatMap((d) => d.segments.filter((s) => s.type === 'image').map((s) => s.image.url));

const store = await createImageStore({ type: 'http', concurrency: 16, timeoutSeconds: 2, retries: 2 }, 5e7);
const stats = new Stats();
const rejects = new Rejects(stats, undefined, 0, true);
const images = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'jpeg', quality: 80, maxBytes: 5e7, maxPixels: 1e8, multiImage: 'divide' };
const policy = { store, onImageError: 'drop', maxImages: 16, tooMany: 'shrink', dedup: false };
const t0 = performance.now();
let out = 0;
const docsIn = (async function* () { yield* docs; })();
for await (const _ of mediaStage(docsIn, { compute: cpuBackend(), images, packMaxTiles: 48, concurrency: 2 * cpus().length, rejects, stats, policy })) out++;
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ root, urls: new Set(cited).size, citations: cited.length, docsOut: out, seconds: +s.toFixed(1),
  serverRequests: requests, peakInFlight: peak, tiled: stats.get('images.tiled'), dropped: stats.get('images.dropped'),
  timeout: stats.get('images.dropped.image.timeout'), fetchFailed: stats.get('images.dropped.image.fetch_failed') }));
for (const sv of servers) { sv.closeAllConnections(); sv.close(); }
process.exit(0);
