/**
 * bench:tiles — images/s and tiles/s, on the same images in one process tree, for
 *   (a) the pipeline's image stage (media stage → compute backend `cpu`, bounded concurrency, ordered),
 *   (b) a bare sharp loop doing the same work the obvious way (one sharp call per tile),
 *   (c) the PIL implementation of the same rules with 2 worker processes (bench/pil_tiles.py).
 * Compared by CPU-seconds (user + sys of every thread / process; wall-time ratios favour whichever side has
 * more threads on a loaded box): target (a) ≥ 1.5 × (c). Wall ratios are printed beside them.
 *
 *   npm run bench:tiles [-- --images 60 --rounds 3]
 */
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { cpus } from 'node:os';
import sharp from 'sharp';
import { mediaStage } from '../src/media/stage.js';
import { cpuBackend, describeTileEncoder } from '../src/compute/cpu.js';
import { planTiles } from '../src/media/tiling.js';
import { Rejects } from '../src/core/rejects.js';
import { Stats } from '../src/core/stats.js';
import type { Document } from '../src/core/model.js';
import { rngFor } from '../src/core/rng.js';
import { fmtRatio } from './common.js';

const N = Number(process.argv.find((a, i) => process.argv[i - 1] === '--images') ?? 60);
const ROUNDS = Number(process.argv.find((a, i) => process.argv[i - 1] === '--rounds') ?? 3);
const dir = resolve('.bench-data/tiles');
const images = { minTiles: 1, maxTiles: 12, tileSize: 448 as const, encoding: 'jpeg' as const, quality: 95, maxBytes: 50e6, maxPixels: 178956970, multiImage: 'divide' as const };

async function makeImages(): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const rng = rngFor(9, 'tiles-bench');
  const photos = ['sample-data/images/board.jpg', 'sample-data/images/verify.jpg'];
  const paths: string[] = [];
  for (let i = 0; i < N; i++) {
    const p = join(dir, `img-${i}.jpg`);
    paths.push(p);
    if (existsSync(p)) continue;
    // Web-photo sizes: 320 … 2400 px wide, aspect 0.5 … 2.5.
    const w = rng.int(320, 2400);
    const h = Math.max(200, Math.round(w / (0.5 + rng.next() * 2)));
    await sharp(photos[i % 2]).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toFile(p);
  }
  return paths;
}

async function pipelineStage(paths: string[]): Promise<number> {
  const stats = new Stats();
  const docs = async function* (): AsyncGenerator<Document> {
    for (const p of paths) yield { id: p, source: 'b', kind: 'caption', segments: [{ type: 'image', image: { kind: 'bytes', bytes: readFileSync(p) } }, { type: 'text', text: 'x' }], provenance: { source: 'b', file: p, location: '' } };
  };
  let tiles = 0;
  // As a run tiles: on tiling threads, one per CPU.
  const compute = cpuBackend({ threads: cpus().length });
  const stage = mediaStage(docs(), { compute, images, packMaxTiles: 48, concurrency: 2 * cpus().length, rejects: new Rejects(stats), stats, policy: { onImageError: 'reject', maxImages: 1, tooMany: 'reject', dedup: false } });
  for await (const d of stage) for (const s of d.segments) if (s.type === 'image') tiles += s.image.tiles.length;
  await compute.close();
  return tiles;
}

/** PIL's side in child processes, under GNU time: [tiles, wall s, CPU-s of the whole process tree]. */
function pil(paths: string[]): [number, number, number] {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %U %S', '/usr/bin/python3', 'bench/pil_tiles.py', String(cpus().length), ...paths], { encoding: 'utf8' });
  const t = /__TIME__ ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !t) throw new Error(`bench/pil_tiles.py failed: ${r.stderr.slice(-1000)}`);
  const py = r.stdout.trim().split(' ');
  return [Number(py[1]), Number(py[2]), Number(t[1]) + Number(t[2])];
}

/** The obvious sharp version: resize per image, then one extract + JPEG encode call per tile, one image at a time. */
async function bareSharp(paths: string[]): Promise<number> {
  let tiles = 0;
  for (const p of paths) {
    const input = readFileSync(p);
    const m = await sharp(input).metadata();
    const plan = planTiles(m.width!, m.height!, images);
    const grid = await sharp(input).resize(plan.cols * 448, plan.rows * 448, { fit: 'fill', kernel: 'cubic' }).toBuffer();
    for (let r = 0; r < plan.rows; r++) for (let c = 0; c < plan.cols; c++) {
      await sharp(grid).extract({ left: c * 448, top: r * 448, width: 448, height: 448 }).jpeg({ quality: 95 }).toBuffer();
      tiles++;
    }
    if (plan.thumbnail) {
      await sharp(input).resize(448, 448, { fit: 'fill', kernel: 'cubic' }).jpeg({ quality: 95 }).toBuffer();
      tiles++;
    }
  }
  return tiles;
}

async function timed(fn: () => Promise<number>): Promise<[number, number]> {
  const t0 = performance.now();
  const tiles = await fn();
  return [tiles, (performance.now() - t0) / 1000];
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function main() {
  const paths = await makeImages();
  await pipelineStage(paths.slice(0, 4)); // warm up libvips, the WebAssembly and libturbojpeg
  // (a) and (c) alternate ROUNDS times; the medians are compared (one run of each swings by ±8 % here).
  const a: number[] = [];
  const c: number[] = [];
  const cpuA: number[] = [];
  const cpuC: number[] = [];
  let ta = 0;
  let tc = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const c0 = process.cpuUsage();
    const [tiles, s] = await timed(() => pipelineStage(paths));
    const cu = process.cpuUsage(c0);
    a.push(s);
    cpuA.push((cu.user + cu.system) / 1e6);
    ta = tiles;
    const [t, sc, cc] = pil(paths);
    tc = t;
    c.push(sc);
    cpuC.push(cc);
  }
  const b0 = process.cpuUsage();
  const [tb, sb] = await timed(() => bareSharp(paths));
  const bu = process.cpuUsage(b0);
  const cpuB = (bu.user + bu.system) / 1e6;
  const [sa, sc, ca, cc] = [median(a), median(c), median(cpuA), median(cpuC)];
  const rows: [string, number, number, number][] = [
    ['(a) shardloom image stage (cpu backend, tiling threads)', ta, sa, ca],
    ['(b) bare sharp loop, one call per tile', tb, sb, cpuB],
    [`(c) PIL, same rules, ${cpus().length} processes`, tc, sc, cc],
  ];
  console.log(`${paths.length} JPEG photos (320–2400 px wide), maxTiles 12, JPEG q95 tiles, ${cpus().length} cores`);
  console.log(`tile JPEG encoder: ${describeTileEncoder()}; (a) and (c): median of ${ROUNDS} alternating runs`);
  console.log('\n| path | tiles | CPU-s | wall s | images per CPU-s | tiles/s (wall) |\n|---|---|---|---|---|---|');
  for (const [name, t, s, cpu] of rows) console.log(`| ${name} | ${t} | ${cpu.toFixed(2)} | ${s.toFixed(2)} | ${(paths.length / cpu).toFixed(1)} | ${(t / s).toFixed(1)} |`);
  console.log(`\n(a) runs: ${a.map((x) => x.toFixed(2)).join(' ')} s, CPU ${cpuA.map((x) => x.toFixed(2)).join(' ')} s;  (c) runs: ${c.map((x) => x.toFixed(2)).join(' ')} s, CPU ${cpuC.map((x) => x.toFixed(2)).join(' ')} s`);
  console.log(`by CPU-seconds: (a)/(c) = ${fmtRatio(cc / ca)}   (a)/(b) = ${fmtRatio(cpuB / ca)}   target (a)/(c) ≥ 1.5×: ${cc / ca >= 1.5 ? 'met' : 'NOT met'}`);
  console.log(`by wall time:   (a)/(c) = ${fmtRatio(sc / sa)}   (a)/(b) = ${fmtRatio(sb / sa)}`);
  if (ta !== tc) console.log(`note: tile counts differ (${ta} vs ${tc})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
