/**
 * bench:video — frames/s and CPU seconds of the video stage (probe, one ffmpeg per clip for the chosen frames,
 * then the cpu compute backend: PIL-matching resize to 448×448, JPEG encode) against a bare ffmpeg command extracting the same frames at the same size
 * (select + scale=448:448 to rawvideo, nothing encoded). Target ≥ 0.8×.
 *
 *   npm run bench:video [-- --clips 6]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus } from 'node:os';
import { probeVideo, tileVideo } from '../src/media/video.js';
import { cpuBackend } from '../src/compute/cpu.js';
import { frameQueue } from '../src/compute/index.js';
import { sampleFrameIndices } from '../src/media/frames.js';
import { mapOrdered } from '../src/core/concurrency.js';
import { fmtRatio } from './common.js';

const CLIPS = Number(process.argv.find((a, i) => process.argv[i - 1] === '--clips') ?? 6);
const FRAMES = 32;
const dir = resolve('.bench-data/video');

function makeClips(): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: CLIPS }, (_, i) => {
    const p = join(dir, `clip-${i}.mp4`);
    if (!existsSync(p)) {
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${10 + 2 * i}`, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', p]);
    }
    return p;
  });
}

/** CPU seconds so far: this process (all threads) + its reaped children (ffmpeg), from /proc/self/stat. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[13]) + Number(f[14]); // cutime, cstime (fields 16, 17)
  return (u.user + u.system) / 1e6 + ticks / 100;
}

async function main() {
  const clips = makeClips();
  const plans = await Promise.all(clips.map(async (p) => {
    const probe = await probeVideo(p, { timeoutMs: 60_000 });
    return { p, probe, indices: sampleFrameIndices(FRAMES, probe.frames, { sample: 'middle' }) };
  }));
  const frames = plans.reduce((a, x) => a + x.indices.length, 0);
  const concurrency = cpus().length;

  let c0 = cpuSeconds();
  let t0 = performance.now();
  const planStream = async function* () { yield* plans; };
  const queue = frameQueue(cpuBackend());
  for await (const _ of mapOrdered(planStream(), concurrency, (x) => tileVideo(x.p, { indices: x.indices, probe: x.probe, frames: queue, tileSize: 448, encoding: 'jpeg', quality: 95, timeoutMs: 120_000 }))) void _;
  const ours = (performance.now() - t0) / 1000;
  const oursCpu = cpuSeconds() - c0;

  c0 = cpuSeconds();
  t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = w; i < plans.length; i += concurrency) {
      const x = plans[i];
      const select = `select='${[...new Set(x.indices)].map((n) => `eq(n\\,${n})`).join('+')}',scale=448:448:flags=bicubic`;
      spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', x.p, '-vf', select, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', '/dev/null']);
    }
  }));
  const bare = (performance.now() - t0) / 1000;
  const bareCpu = cpuSeconds() - c0;

  console.log(`${clips.length} clips 1280×720 h264, 10–${10 + 2 * (CLIPS - 1)} s at 30 fps, ${FRAMES} frames each (middle), ${concurrency} clips at a time`);
  console.log('\n| path | frames | seconds | frames/s | CPU s (node + ffmpeg) |\n|---|---|---|---|---|');
  console.log(`| shardloom video stage (decode, resize, JPEG q95) | ${frames} | ${ours.toFixed(2)} | ${(frames / ours).toFixed(1)} | ${oursCpu.toFixed(2)} |`);
  console.log(`| bare ffmpeg: same select, scale=448:448 to rawvideo | ${frames} | ${bare.toFixed(2)} | ${(frames / bare).toFixed(1)} | ${bareCpu.toFixed(2)} |`);
  console.log(`\nshardloom / bare ffmpeg: ${fmtRatio(bare / ours)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
