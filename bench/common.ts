/** Shared bits of the benchmarks: child processes with peak RSS, timing, and a seeded text generator. */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { rngFor } from '../src/core/rng.js';

export interface ChildResult { seconds: number; maxRssMB: number; stdout: string; cpuSeconds: number }

/**
 * Run `node script args…` in a child and measure wall time, peak RSS and CPU time through GNU time's
 * format, falling back to the child's own report on stdout (`__RSS__ <kB>`).
 */
export function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited with ${code}`));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const rss = /__RSS__ (\d+)/.exec(out);
      const cpu = /__CPU__ ([\d.]+)/.exec(out);
      resolve({ seconds, maxRssMB: rss ? Number(rss[1]) / 1024 : NaN, cpuSeconds: cpu ? Number(cpu[1]) : NaN, stdout: out });
    });
  });
}

/**
 * Appended to a child's work: report its own peak RSS (kB) and CPU seconds (user + system, all threads, plus
 * the processes it started and waited for — ffmpeg decoding video — read from /proc/self/stat on Linux).
 */
export function reportUsage(): void {
  const u = process.resourceUsage();
  let children = 0;
  try {
    // Fields after the command name: … utime stime cutime cstime (14–17), in clock ticks (100 per second on Linux).
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    /* not Linux: own CPU only */
  }
  process.stdout.write(`__RSS__ ${u.maxRSS}\n__CPU__ ${(u.userCPUTime + u.systemCPUTime) / 1e6 + children}\n`);
}

/** Words with Zipf-like frequencies, from the licence texts every Debian machine has. */
export function wordSampler(seed: number): () => string {
  const text = ['Apache-2.0', 'GPL-3', 'LGPL-2.1', 'MPL-2.0', 'Artistic'].map((f) => readFileSync(`/usr/share/common-licenses/${f}`, 'utf8')).join(' ');
  const counts = new Map<string, number>();
  for (const w of text.split(/\s+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  const extra = ['数据', 'многоязычный', 'données', 'بيانات', '🙂', '2026', 'naïve', 'Straße'];
  const rng = rngFor(seed, 'words');
  return () => {
    if (rng.next() < 0.01) return extra[rng.int(0, extra.length - 1)];
    // Zipf: rank ~ 1/u
    const r = Math.min(words.length - 1, Math.floor(1 / (rng.next() + 1e-4)) - 1);
    return words[Math.max(0, r + rng.int(0, 3))];
  };
}

export function fmtRatio(x: number): string {
  return `${x.toFixed(2)}×`;
}

/** Write a gzip-compressed JSONL file (level 1) of the records `next` returns, until it returns null. */
export async function writeGzipJsonl(path: string, next: () => Record<string, unknown> | null): Promise<void> {
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(path);
  gz.pipe(out);
  for (let rec = next(); rec !== null; rec = next()) {
    if (!gz.write(JSON.stringify(rec) + '\n')) await new Promise<void>((r) => gz.once('drain', () => r()));
  }
  gz.end();
  await new Promise<void>((r) => out.on('close', () => r()));
}
