/**
 * bench:e2e — a whole `shardloom run` over real photos as image–caption pairs, against InternVL's own path
 * (`dynamic_preprocess` + PIL, JPEG q95, one process per core: bench/pil_tiles.py), same machine, alternating
 * A/B rounds, medians. Reported: CPU-seconds (user + sys of the whole process tree, start-up included — the
 * figure the target is set on), wall seconds, peak RSS.
 *
 * The photos: the twelve nature photographs of Debian's `mate-backgrounds` package (CC BY-SA; taken from
 * /usr/share/backgrounds/mate/nature, or downloaded with `apt-get download` at bench time and unpacked under
 * .bench-data/ — nothing is installed), cut into `--images` crops of varied aspect ratio (0.4 … 2.5) and size
 * (320 … 2400 px on the long side), JPEG q90, packed as an img2dataset-style WebDataset tar.
 *
 *   npm run bench:e2e [-- --images 120 --rounds 3 --cpus 2]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { rngFor } from '../src/core/rng.js';
import { fmtRatio } from './common.js';

const arg = (name: string, dflt: number) => Number(process.argv.find((_, i) => process.argv[i - 1] === `--${name}`) ?? dflt);
const N = arg('images', 120);
const ROUNDS = arg('rounds', 3);
const CPUS = arg('cpus', availableParallelism());
const root = resolve('.bench-data/e2e');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function photoDir(): string {
  const system = '/usr/share/backgrounds/mate/nature';
  if (existsSync(system) && readdirSync(system).some((f) => f.endsWith('.jpg'))) return system;
  const local = join(root, 'deb/usr/share/backgrounds/mate/nature');
  if (existsSync(local)) return local;
  mkdirSync(join(root, 'deb'), { recursive: true });
  console.error('bench:e2e: fetching the mate-backgrounds package (photos only, not installed)…');
  execFileSync('apt-get', ['download', 'mate-backgrounds'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const deb = readdirSync(root).find((f) => f.startsWith('mate-backgrounds') && f.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download mate-backgrounds produced no .deb; install mate-backgrounds or run apt-get update');
  execFileSync('dpkg', ['-x', join(root, deb), join(root, 'deb')]);
  return local;
}

async function makeInputs(): Promise<{ tar: string; paths: string[] }> {
  const dir = join(root, `photos-${N}`);
  const tar = join(root, `captions-${N}.tar`);
  const paths = Array.from({ length: N }, (_, i) => join(dir, `${String(i).padStart(5, '0')}.jpg`));
  if (existsSync(tar) && paths.every(existsSync)) return { tar, paths };
  mkdirSync(dir, { recursive: true });
  const src = photoDir();
  const photos = readdirSync(src).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(src, f));
  const rng = rngFor(14, 'e2e-bench');
  for (let i = 0; i < N; i++) {
    const p = photos[i % photos.length];
    const meta = await sharp(p).metadata();
    const W = meta.width!, H = meta.height!;
    // A crop of the photo with aspect 0.4 … 2.5, 35 … 100 % of the largest such crop, resized to 320 … 2400 px on its long side.
    const aspect = Math.exp(Math.log(0.4) + rng.next() * (Math.log(2.5) - Math.log(0.4)));
    let cw = W, ch = Math.round(W / aspect);
    if (ch > H) { ch = H; cw = Math.round(H * aspect); }
    const f = 0.35 + 0.65 * rng.next();
    cw = Math.max(16, Math.round(cw * f)); ch = Math.max(16, Math.round(ch * f));
    const left = rng.int(0, W - cw), top = rng.int(0, H - ch);
    const long = rng.int(320, 2400);
    const [w, h] = cw >= ch ? [long, Math.max(8, Math.round(long * ch / cw))] : [Math.max(8, Math.round(long * cw / ch)), long];
    await sharp(p).extract({ left, top, width: cw, height: ch }).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toFile(paths[i]);
    writeFileSync(paths[i].replace(/\.jpg$/, '.txt'), `A photograph of nature, crop ${i} of ${photos[i % photos.length].split('/').pop()}.`);
  }
  const members = paths.flatMap((p) => [p, p.replace(/\.jpg$/, '.txt')].map((m) => m.slice(dir.length + 1)));
  execFileSync('tar', ['-cf', tar, '-C', dir, ...members]);
  return { tar, paths };
}

interface Usage { cpu: number; wall: number; rssMB: number }

/** Run a command under GNU time: CPU-seconds of the whole process tree (children waited for), wall, peak RSS of the largest process. */
function timed(cmd: string, args: string[]): Usage {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %U %S %e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} … failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  return { cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]), rssMB: Number(m[4]) / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  // The command users run: the package's bin (the bundled command line, scripts/bundle-cli.mjs).
  const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: { shardloom: string } }).bin.shardloom;
  if (!existsSync(bin)) throw new Error('build first: npm run build');
  const { tar, paths } = await makeInputs();
  const cfg = join(root, `bench-${N}.yaml`);
  writeFileSync(cfg, [
    'name: bench-e2e', 'seed: 1',
    'output: { dir: out, formats: [parquet], shardMaxRows: 256 }',
    'tokenizer: { name: internvl3 }',
    'sources:',
    `  - { name: photos, kind: caption, paths: ["${tar}"], weight: 1 }`,
    'images: { maxTiles: 12, tileSize: 448, encoding: jpeg, quality: 95 }',
    'pack: { maxTokens: 32768, maxTiles: 64 }',
    '',
  ].join('\n'));
  const out = join(root, 'out');
  const A: Usage[] = [], B: Usage[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rmSync(out, { recursive: true, force: true });
    A.push(timed(process.execPath, [bin, 'run', cfg, '--out', out, '--overwrite', '-q']));
    B.push(timed(PYTHON, ['bench/pil_tiles.py', String(CPUS), ...paths]));
    console.error(`round ${r + 1}: shardloom ${A[r].cpu.toFixed(2)} CPU-s ${A[r].wall.toFixed(2)} s ${A[r].rssMB.toFixed(0)} MB | InternVL+PIL ${B[r].cpu.toFixed(2)} CPU-s ${B[r].wall.toFixed(2)} s`);
  }
  const a = { cpu: median(A.map((x) => x.cpu)), wall: median(A.map((x) => x.wall)), rss: median(A.map((x) => x.rssMB)) };
  const b = { cpu: median(B.map((x) => x.cpu)), wall: median(B.map((x) => x.wall)), rss: median(B.map((x) => x.rssMB)) };
  console.log(`bench:e2e — ${N} photos as caption pairs, maxTiles 12 + thumbnail, JPEG q95, ${CPUS} CPUs, ${ROUNDS} alternating rounds (medians)`);
  console.log(`  shardloom run           ${a.cpu.toFixed(2)} CPU-s  ${a.wall.toFixed(2)} s wall  peak RSS ${a.rss.toFixed(0)} MB`);
  console.log(`  InternVL + PIL (${CPUS} proc) ${b.cpu.toFixed(2)} CPU-s  ${b.wall.toFixed(2)} s wall`);
  console.log(`  ratio (InternVL / shardloom): ${fmtRatio(b.cpu / a.cpu)} by CPU-seconds (target ≥ 2.0×), ${fmtRatio(b.wall / a.wall)} by wall time`);
  // The machine's speed drifts between rounds; both sides of one round see about the same drift.
  const paired = A.map((x, i) => B[i].cpu / x.cpu).sort((p, q) => p - q);
  console.log(`  per round (InternVL / shardloom, CPU-s): median ${fmtRatio(median(paired))}, range ${fmtRatio(paired[0])} … ${fmtRatio(paired[paired.length - 1])}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
