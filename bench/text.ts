/**
 * bench:text — text → shard throughput (MB of text per second) and peak RSS of the whole pipeline on a
 * generated 200 MB JSONL (gzip), beside a bare gunzip + line split + JSON.parse loop over the same file.
 *
 *   npm run bench:text [-- --mb 200]
 */
import { existsSync, mkdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNode, wordSampler, fmtRatio, writeGzipJsonl } from './common.js';
import { rngFor } from '../src/core/rng.js';

const MB = Number(process.argv.find((a, i) => process.argv[i - 1] === '--mb') ?? 200);
const dataDir = resolve('.bench-data');
const file = join(dataDir, `text-${MB}mb.jsonl.gz`);
const here = fileURLToPath(new URL('.', import.meta.url));

async function generate(): Promise<number> {
  mkdirSync(dataDir, { recursive: true });
  const word = wordSampler(1);
  const rng = rngFor(1, 'doc-lengths');
  let bytes = 0;
  let n = 0;
  await writeGzipJsonl(file, () => {
    if (bytes >= MB * 1e6) return null;
    // Long-tailed document lengths: mostly a few hundred words, some tens of thousands.
    const words = Math.floor(50 * Math.exp(rng.next() * 6));
    const parts: string[] = [];
    for (let i = 0; i < words; i++) parts.push(word());
    const text = parts.join(' ');
    bytes += Buffer.byteLength(text);
    return { id: `doc-${n++}`, text };
  });
  writeFileSync(file + '.textbytes', String(bytes));
  return bytes;
}

async function main() {
  const textBytes = existsSync(file + '.textbytes') ? Number((await import('node:fs')).readFileSync(file + '.textbytes', 'utf8')) : await generate();
  console.log(`input: ${file} (${(statSync(file).size / 1e6).toFixed(1)} MB gzip, ${(textBytes / 1e6).toFixed(1)} MB of text)`);
  const cfgPath = join(dataDir, 'bench-text.yaml');
  const out = join(dataDir, 'out-text');
  writeFileSync(cfgPath, `name: bench-text\nseed: 1\noutput:\n  dir: out-text\nsources:\n  - name: text\n    kind: text\n    paths: ["${file}"]\n    idField: id\npack:\n  maxTokens: 16384\nrun:\n  progressInterval: 30\n`);
  rmSync(out, { recursive: true, force: true });

  const base = await runNode([join(here, 'text-baseline.js'), file]);
  const pipe = await runNode([join(here, 'text-pipeline.js'), cfgPath, out]);
  const mbps = (r: { seconds: number }) => textBytes / 1e6 / r.seconds;
  const rows = [
    ['gunzip + JSON.parse loop (baseline)', base],
    ['shardloom run (text → Parquet shards)', pipe],
  ] as const;
  console.log('\n| path | seconds | MB text/s | peak RSS MB | CPU s |\n|---|---|---|---|---|');
  for (const [name, r] of rows) console.log(`| ${name} | ${r.seconds.toFixed(1)} | ${mbps(r).toFixed(2)} | ${r.maxRssMB.toFixed(0)} | ${r.cpuSeconds.toFixed(1)} |`);
  console.log(`\npipeline / baseline throughput: ${fmtRatio(mbps(pipe) / mbps(base))}`);
  console.log(pipe.stdout.split('\n').filter((l) => l.startsWith('tokens')).join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
