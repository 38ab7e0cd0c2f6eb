/**
 * bench:scale — a generated mixed corpus (gzip JSONL text, WebDataset caption tars, MMC4-style interleaved
 * JSONL with an image directory, video clips) run
 *   - at 1× with one rank and with two local ranks at once (then merged), for throughput;
 *   - at 1× and 10×, for peak RSS (it must not grow with the input: target 10× within 1.2× of 1×, < 2 GiB);
 *   - CPU utilisation of the 1-rank runs (CPU seconds / (wall seconds × cores); target ≥ 90 %);
 *   - how busy the main thread is (from a V8 CPU profile of the 1-rank runs: time not idle / profile
 *     duration; target ≤ 50 %: it reads, mixes, packs and schedules; pixels and shard encoding are elsewhere).
 *
 *   npm run bench:scale [-- --scale 10 --units 6]
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { pack } from 'tar-stream';
import { runNode, wordSampler, fmtRatio, writeGzipJsonl, type ChildResult } from './common.js';
import { mergeRuns } from '../src/scale/merge.js';
import { rngFor } from '../src/core/rng.js';

const arg = (name: string, dflt: number) => Number(process.argv.find((a, i) => process.argv[i - 1] === `--${name}`) ?? dflt);
const SCALE = arg('scale', 10);
/**
 * Units (one text file + one caption tar each) in the 1× corpus. Six units make a run that writes several
 * shards at the default shard size, so the 1× run reaches its steady state (full shard and row-group
 * buffers, packer buffer, per-source read-ahead) and the comparison shows growth, not warm-up.
 */
const UNITS = arg('units', 6);
const root = resolve('.bench-data/scale');
const here = fileURLToPath(new URL('.', import.meta.url));
const TEXT_FILE_MB = 4; // per text file
const PAIRS_PER_TAR = 40;

async function textFile(path: string, seed: number) {
  if (existsSync(path)) return;
  const word = wordSampler(seed);
  const rng = rngFor(seed, 'scale-text');
  let bytes = 0;
  let n = 0;
  await writeGzipJsonl(path, () => {
    if (bytes >= TEXT_FILE_MB * 1e6) return null;
    const text = Array.from({ length: Math.floor(40 * Math.exp(rng.next() * 4)) }, word).join(' ');
    bytes += text.length;
    return { id: `${seed}-${n++}`, text };
  });
}

async function captionTar(path: string, seed: number) {
  if (existsSync(path)) return;
  const rng = rngFor(seed, 'scale-pairs');
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (let i = 0; i < PAIRS_PER_TAR; i++) {
    const w = rng.int(300, 1000);
    const img = await sharp(i % 2 ? 'sample-data/images/board.jpg' : 'sample-data/images/verify.jpg').resize(w, Math.round(w * (0.5 + rng.next())), { fit: 'fill' }).jpeg({ quality: 80 }).toBuffer();
    const key = `${String(seed).padStart(5, '0')}${String(i).padStart(4, '0')}`;
    p.entry({ name: `${key}.jpg` }, img);
    p.entry({ name: `${key}.txt` }, `A photo of a development board, number ${i}, ${w} pixels wide.`);
  }
  p.finalize();
  await done;
  writeFileSync(path, Buffer.concat(chunks));
}

const DOCS_PER_FILE = 30;

/** An MMC4-style JSONL file: documents of 2–5 paragraphs with 1–3 images each, named in the image directory. */
async function interleavedFile(path: string, imageDir: string, seed: number) {
  if (existsSync(path)) return;
  const rng = rngFor(seed, 'scale-interleaved');
  const word = wordSampler(seed + 1000);
  const lines: string[] = [];
  for (let d = 0; d < DOCS_PER_FILE; d++) {
    const paragraphs = rng.int(2, 5);
    const text_list = Array.from({ length: paragraphs }, () => Array.from({ length: rng.int(30, 150) }, word).join(' '));
    const image_info = [];
    for (let k = rng.int(1, 3); k > 0; k--) {
      const name = `s${seed}-d${d}-i${k}.jpg`;
      const w = rng.int(300, 1200);
      await sharp(k % 2 ? 'sample-data/images/board.jpg' : 'sample-data/images/verify.jpg').resize(w, Math.round(w * (0.5 + rng.next())), { fit: 'fill' }).jpeg({ quality: 80 }).toFile(join(imageDir, name));
      image_info.push({ image_name: name, matched_text_index: rng.int(0, paragraphs - 1), matched_sim: 0.3 });
    }
    lines.push(JSON.stringify({ text_list, image_info }));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** The sample's video clips and their sidecar captions, copied under unit names (each copy is read and decoded anew). */
function videoClips(dir: string, i: number) {
  for (const f of readdirSync('sample-data/video').filter((n) => /\.(mp4|webm|txt|json)$/.test(n))) {
    const to = join(dir, `clip-${String(i).padStart(3, '0')}-${f}`);
    if (!existsSync(to)) copyFileSync(join('sample-data/video', f), to);
  }
}

/** A corpus of `k` units: k text files, k caption tars, k interleaved files (+ images), k × 3 clips. */
async function corpus(k: number): Promise<string> {
  const dir = join(root, `x${k}`);
  const images = join(dir, 'images');
  mkdirSync(images, { recursive: true });
  for (let i = 0; i < k; i++) {
    await textFile(join(dir, `text-${String(i).padStart(3, '0')}.jsonl.gz`), i);
    await captionTar(join(dir, `pairs-${String(i).padStart(3, '0')}.tar`), i);
    await interleavedFile(join(dir, `docs-${String(i).padStart(3, '0')}.jsonl`), images, i);
    videoClips(dir, i);
  }
  const cfg = join(dir, 'scale.yaml');
  writeFileSync(cfg, [
    `name: scale-x${k}`, 'seed: 1', 'sources:',
    '  - {name: text, kind: text, paths: ["text-*.jsonl.gz"], idField: id, weight: 0.6}',
    '  - {name: pairs, kind: caption, paths: ["pairs-*.tar"], weight: 0.2}',
    '  - {name: docs, kind: interleaved, paths: ["docs-*.jsonl"], imageStore: {type: dir, path: images}, weight: 0.15}',
    '  - {name: clips, kind: video, paths: ["clip-*.mp4", "clip-*.webm"], minFrames: 4, maxFrames: 8, weight: 0.05}',
    'mix: {onExhausted: renormalize}', 'images: {maxTiles: 6}', 'pack: {maxTokens: 16384}', '',
  ].join('\n'));
  return cfg;
}

/** Share of the main thread's profile that was not idle (V8's thread 0 profile of the run). */
function mainThreadBusy(profDir: string): number {
  const f = readdirSync(profDir).find((n) => /\.0\.\d+\.cpuprofile$/.test(n));
  if (!f) return NaN;
  const p = JSON.parse(readFileSync(join(profDir, f), 'utf8')) as { nodes: { id: number; callFrame: { functionName: string } }[]; samples: number[]; timeDeltas: number[] };
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let total = 0;
  let busy = 0;
  p.samples.forEach((id, i) => { total += p.timeDeltas[i]; if (!idle.has(id)) busy += p.timeDeltas[i]; });
  return busy / total;
}

const usage = (r: ChildResult) => r.cpuSeconds / (r.seconds * cpus().length);

async function main() {
  const cfg1 = await corpus(UNITS);
  const cfg10 = await corpus(UNITS * SCALE);
  const out = join(root, 'out');
  rmSync(out, { recursive: true, force: true });
  const prof = (name: string) => ['--cpu-prof', `--cpu-prof-dir=${join(root, 'prof', name)}`];
  rmSync(join(root, 'prof'), { recursive: true, force: true });
  const one = await runNode([...prof('one'), join(here, 'scale-run.js'), cfg1, join(out, 'one')]);
  const t0 = performance.now();
  const ranks = await Promise.all([0, 1].map((r) => runNode([join(here, 'scale-run.js'), cfg1, join(out, 'two'), String(r), '2'])));
  await mergeRuns(join(out, 'two'));
  const twoWall = (performance.now() - t0) / 1000;
  const ten = await runNode([...prof('ten'), join(here, 'scale-run.js'), cfg10, join(out, 'ten')]);
  const mb1 = UNITS * TEXT_FILE_MB;
  console.log(`corpus 1×: ${UNITS} units of ${TEXT_FILE_MB} MB gzip-JSONL text, ${PAIRS_PER_TAR} caption pairs, ${DOCS_PER_FILE} interleaved documents (1–3 images each), 3 video clips; ${SCALE}×: ${UNITS * SCALE} units; ${cpus().length} cores`);
  console.log('\n| run | wall s | MB text/s | peak RSS MB | CPU use | main thread busy |\n|---|---|---|---|---|---|');
  console.log(`| 1×, 1 rank | ${one.seconds.toFixed(1)} | ${(mb1 / one.seconds).toFixed(2)} | ${one.maxRssMB.toFixed(0)} | ${(100 * usage(one)).toFixed(0)} % | ${(100 * mainThreadBusy(join(root, 'prof', 'one'))).toFixed(0)} % |`);
  console.log(`| 1×, 2 local ranks at once (+ merge) | ${twoWall.toFixed(1)} | ${(mb1 / twoWall).toFixed(2)} | ${ranks.map((r) => r.maxRssMB.toFixed(0)).join(' + ')} | ${(100 * ranks.reduce((a, r) => a + r.cpuSeconds, 0) / (twoWall * cpus().length)).toFixed(0)} % | |`);
  console.log(`| ${SCALE}×, 1 rank | ${ten.seconds.toFixed(1)} | ${((mb1 * SCALE) / ten.seconds).toFixed(2)} | ${ten.maxRssMB.toFixed(0)} | ${(100 * usage(ten)).toFixed(0)} % | ${(100 * mainThreadBusy(join(root, 'prof', 'ten'))).toFixed(0)} % |`);
  console.log(`\npeak RSS ${SCALE}× / 1×: ${fmtRatio(ten.maxRssMB / one.maxRssMB)} (target ≤ 1.2×, < 2048 MB); 2 ranks / 1 rank throughput: ${fmtRatio(one.seconds / twoWall)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
