/**
 * bench:tiles — images/s and tiles/s, on the same images in one process tree, for
 *   (a) the pipeline's image stage (media stage → compute backend `cpu`, bounded concurrency, ordered),
 *   (b) a bare sharp loop doing the same work the obvious way (one sharp call per tile),
 *   (c) the PIL implementation of the same rules with 2 worker processes (bench/pil_tiles.py).
 * Target: (a) ≥ 1.5 × (c) on the same 2 cores.
 *
 *   npm run bench:tiles [-- --images 60 --rounds 3]
 */
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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
  const stage = mediaStage(docs(), { compute: cpuBackend(), images, packMaxTiles: 48, concurrency: 2 * cpus().length, rejects: new Rejects(stats), stats, policy: { onImageError: 'reject', maxImages: 1, tooMany: 'reject', dedup: false } });
  for await (const d of stage) for (const s of d.segments) if (s.type === 'image') tiles += s.image.tiles.length;
  return tiles;
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
  let ta = 0;
  let tc = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const c0 = process.cpuUsage();
    const [tiles, s] = await timed(() => pipelineStage(paths));
    const cu = process.cpuUsage(c0);
    a.push(s);
    cpuA.push((cu.user + cu.system) / 1e6);
    ta = tiles;
    const py = execFileSync('/usr/bin/python3', ['bench/pil_tiles.py', '2', ...paths], { encoding: 'utf8' }).trim().split(' ');
    tc = Number(py[1]);
    c.push(Number(py[2]));
  }
  const [tb, sb] = await timed(() => bareSharp(paths));
  const [sa, sc] = [median(a), median(c)];
  const rows: [string, number, number][] = [
    ['(a) shardloom image stage (cpu backend)', ta, sa],
    ['(b) bare sharp loop, one call per tile', tb, sb],
    ['(c) PIL, same rules, 2 processes', tc, sc],
  ];
  console.log(`${paths.length} JPEG photos (320–2400 px wide), maxTiles 12, JPEG q95 tiles, ${cpus().length} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}`);
  console.log(`tile JPEG encoder: ${describeTileEncoder()}; (a) and (c): median of ${ROUNDS} alternating runs`);
  console.log('\n| path | tiles | seconds | images/s | tiles/s |\n|---|---|---|---|---|');
  for (const [name, t, s] of rows) console.log(`| ${name} | ${t} | ${s.toFixed(2)} | ${(paths.length / s).toFixed(1)} | ${(t / s).toFixed(1)} |`);
  console.log(`\n(a) runs: ${a.map((x) => x.toFixed(2)).join(' ')} s, CPU ${cpuA.map((x) => x.toFixed(2)).join(' ')} s;  (c) runs: ${c.map((x) => x.toFixed(2)).join(' ')} s`);
  console.log(`(a)/(c) = ${fmtRatio(sc / sa)}   (a)/(b) = ${fmtRatio(sb / sa)}   (b)/(c) = ${fmtRatio(sc / sb)}   target (a)/(c) ≥ 1.5×: ${sc / sa >= 1.5 ? 'met' : 'NOT met'}`);
  if (ta !== tc) console.log(`note: tile counts differ (${ta} vs ${tc})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
