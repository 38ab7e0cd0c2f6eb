/**
 * bench:fingerprint — SHA-256 of every shard (and index.json / stats.json) of three runs: the bundled
 * sample, the interleaved benchmark corpus (`npm run bench:interleaved` makes it) and a generated long-text
 * corpus mixed with the sample's captions and clips. A restructuring that must not change behaviour is
 * checked by comparing this output before and after (`diff`).
 *
 *   npm run bench:fingerprint [-- --out fingerprint.json]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runPipeline } from '../src/run.js';
import { silentLogger } from '../src/core/log.js';
import { rngFor } from '../src/core/rng.js';
import { wordSampler, writeGzipJsonl } from './common.js';

const OUT = process.argv.find((a, i) => process.argv[i - 1] === '--out');
const dir = resolve('.bench-data/fingerprint');

async function textCorpus(): Promise<string> {
  const file = join(dir, 'long-text.jsonl.gz');
  if (existsSync(file)) return file;
  const word = wordSampler(3);
  const rng = rngFor(3, 'fingerprint');
  let n = 0;
  await writeGzipJsonl(file, () => {
    if (n >= 600) return null;
    const words = Math.floor(30 * Math.exp(rng.next() * 7)); // 30 … 33 000 words
    return { id: `doc-${n++}`, text: Array.from({ length: words }, word).join(' ') };
  });
  return file;
}

async function main() {
  mkdirSync(dir, { recursive: true });
  const text = await textCorpus();
  const sample = resolve('sample-data');
  const mixed = join(dir, 'mixed.yaml');
  writeFileSync(mixed, [
    'name: fingerprint-mixed', 'seed: 11', 'output:', '  dir: out-mixed', '  shardMaxRows: 8', 'sources:',
    `  - {name: text, kind: text, paths: ["${text}"], idField: id, weight: 0.6}`,
    `  - {name: captions, kind: caption, paths: ["${sample}/captions/00000.tar"], weight: 0.3}`,
    `  - {name: clips, kind: video, paths: ["${sample}/video/*.mp4"], minFrames: 4, maxFrames: 8, weight: 0.1}`,
    'mix: {onExhausted: cycle, totalTokens: 400000}', 'pack: {maxTokens: 8192, maxTiles: 24}', 'v2pe: {stride: [1, 4, 16, 64, 256]}', 'images: {maxTiles: 4}', '',
  ].join('\n'));
  const runs: [string, string][] = [['sample', 'pipelines/sample.yaml'], ['mixed', mixed]];
  if (existsSync('.bench-data/interleaved/bench.yaml')) runs.push(['interleaved', '.bench-data/interleaved/bench.yaml']);
  const result: Record<string, Record<string, string>> = {};
  for (const [name, cfg] of runs) {
    const out = join(dir, `out-${name}`);
    await runPipeline(cfg, { out, overwrite: true, log: silentLogger, progress: false });
    result[name] = {};
    for (const f of readdirSync(out).sort()) {
      if (!/^(part-.*\.(parquet|arrow)|index\.json|stats\.json|rejects\.jsonl)$/.test(f)) continue;
      result[name][f] = createHash('sha256').update(readFileSync(join(out, f))).digest('hex');
    }
    console.log(`${name}: ${Object.keys(result[name]).length} files`);
  }
  const json = JSON.stringify(result, null, 2) + '\n';
  if (OUT) writeFileSync(OUT, json);
  else process.stdout.write(json);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
