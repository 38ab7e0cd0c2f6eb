/**
 * bench:resize — the resize alone: every kernel set this machine runs (WebAssembly SIMD; native AVX2 and
 * AVX-512BW where built) against Pillow's own `Image.resize(BICUBIC)` on the same pixels and sizes, one thread
 * each, CPU-seconds, alternating rounds, medians. The sizes are what a run asks for: each photo's InternVL grid
 * (maxTiles 12, 448 px tiles) and its 448² thumbnail. Every kernel's output is checked against the
 * WebAssembly one byte for byte on the way (test/compute/resample.test.ts checks each against PIL).
 *
 *   npm run bench:resize [-- --images 60 --rounds 5]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { Resampler } from '../src/compute/resample.js';
import { loadNativeResample, type ResizeKernel } from '../src/compute/native-resample.js';
import { planTiles } from '../src/compute/tiling.js';
import { rngFor } from '../src/core/rng.js';
import { fmtRatio } from './common.js';

const arg = (name: string, dflt: number) => Number(process.argv.find((_, i) => process.argv[i - 1] === `--${name}`) ?? dflt);
const N = arg('images', 60);
const ROUNDS = arg('rounds', 5);
const dir = resolve('.bench-data/resize');
const PYTHON = '/usr/bin/python3';

interface Job { data: Buffer; w: number; h: number; sizes: { width: number; height: number }[] }

async function makeJobs(): Promise<Job[]> {
  mkdirSync(dir, { recursive: true });
  const rng = rngFor(11, 'resize-bench');
  const photos = ['sample-data/images/board.jpg', 'sample-data/images/verify.jpg'];
  const jobs: Job[] = [];
  for (let i = 0; i < N; i++) {
    // Web-photo sizes: 320 … 2400 px on the long side, aspect 0.4 … 2.5.
    const long = rng.int(320, 2400);
    const aspect = Math.exp(Math.log(0.4) + rng.next() * (Math.log(2.5) - Math.log(0.4)));
    const [w, h] = aspect >= 1 ? [long, Math.max(8, Math.round(long / aspect))] : [Math.max(8, Math.round(long * aspect)), long];
    const { data } = await sharp(photos[i % 2]).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
    const plan = planTiles(w, h, { maxTiles: 12, tileSize: 448 });
    const sizes = [{ width: plan.cols * 448, height: plan.rows * 448 }];
    if (plan.thumbnail) sizes.push({ width: 448, height: 448 });
    jobs.push({ data, w, h, sizes });
    writeFileSync(join(dir, `${i}.rgb`), data);
  }
  writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs.map((j, i) => ({ file: join(dir, `${i}.rgb`), w: j.w, h: j.h, sizes: j.sizes }))));
  return jobs;
}

const PIL = `
import json, sys, time
from PIL import Image
jobs = json.load(open(sys.argv[1]))
imgs = [(Image.frombytes('RGB', (j['w'], j['h']), open(j['file'], 'rb').read()), j['sizes']) for j in jobs]
t = time.process_time()
for im, sizes in imgs:
    for s in sizes:
        im.resize((s['width'], s['height']), Image.BICUBIC)
print(time.process_time() - t)
`;

function cpuOf(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const jobs = await makeJobs();
  const native = loadNativeResample();
  const kernels: ResizeKernel[] = ['wasm-simd128', ...(native.lib?.kernels ?? [])];
  const resamplers = kernels.map((k) => new Resampler(k));
  // Same bytes from every kernel set (and a warm-up).
  for (const j of jobs) {
    const want = resamplers[0].resize(j.data, j.w, j.h, j.sizes).map((b) => Buffer.from(b));
    for (const [i, r] of resamplers.entries()) {
      r.resize(j.data, j.w, j.h, j.sizes).forEach((b, k) => {
        if (Buffer.compare(Buffer.from(b), want[k]) !== 0) throw new Error(`${kernels[i]} differs from wasm-simd128 on a ${j.w}×${j.h} image`);
      });
    }
  }
  const times = new Map<string, number[]>([['Pillow', []], ...kernels.map((k) => [k, []] as [string, number[]])]);
  for (let round = 0; round < ROUNDS; round++) {
    const py = spawnSync(PYTHON, ['-c', PIL, join(dir, 'jobs.json')], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`Pillow baseline failed: ${py.stderr}`);
    times.get('Pillow')!.push(Number(py.stdout.trim()));
    for (const [i, r] of resamplers.entries()) times.get(kernels[i])!.push(cpuOf(() => { for (const j of jobs) r.resize(j.data, j.w, j.h, j.sizes); }));
  }
  const pil = median(times.get('Pillow')!);
  const wasm = median(times.get('wasm-simd128')!);
  console.log(`bench:resize — ${N} photos, grid + thumbnail each, one thread, ${ROUNDS} alternating rounds (medians of CPU-seconds)`);
  for (const [k, xs] of times) {
    const m = median(xs);
    console.log(`  ${k.padEnd(13)} ${m.toFixed(3)} CPU-s   vs Pillow ${fmtRatio(pil / m)}   vs WebAssembly ${fmtRatio(wasm / m)}`);
  }
  if (!native.lib) console.log(`  (native kernels not measured: ${native.reason})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
