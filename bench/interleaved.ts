/**
 * bench:interleaved — documents/s and images/s of the interleaved path on a generated OBELICS Parquet
 * file (images by URL, resolved through a directory image store keyed by SHA-1): read the rows, resolve and
 * tile the images (cpu backend), tokenize. Beside it, the same file read with no image work, as a baseline.
 *
 *   npm run bench:interleaved [-- --docs 400]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { DuckDBInstance } from '@duckdb/node-api';
import { urlKey } from '../src/media/image-store.js';
import { runPipeline } from '../src/run.js';
import { createLogger } from '../src/core/log.js';
import { interleavedReader } from '../src/sources/interleaved.js';
import { expandPaths } from '../src/sources/units.js';
import { rngFor } from '../src/core/rng.js';
import { sourceConfig } from '../src/config/load.js';
import { wordSampler, fmtRatio } from './common.js';

const DOCS = Number(process.argv.find((a, i) => process.argv[i - 1] === '--docs') ?? 400);
const dir = resolve('.bench-data/interleaved');

async function generate(): Promise<{ images: number }> {
  const file = join(dir, `obelics-${DOCS}.parquet`);
  const images = join(dir, 'images');
  mkdirSync(images, { recursive: true });
  const rng = rngFor(5, 'interleaved-bench');
  const word = wordSampler(5);
  const rows: { images: (string | null)[]; texts: (string | null)[] }[] = [];
  const photos = ['sample-data/images/board.jpg', 'sample-data/images/verify.jpg'];
  let n = 0;
  for (let d = 0; d < DOCS; d++) {
    const row = { images: [] as (string | null)[], texts: [] as (string | null)[] };
    for (let k = rng.int(1, 4); k > 0; k--) {
      row.images.push(null, `https://bench.example/${d}/${k}.jpg`);
      row.texts.push(Array.from({ length: rng.int(20, 300) }, word).join(' '), null);
    }
    rows.push(row);
  }
  const urls = rows.flatMap((r) => r.images.filter((u): u is string => !!u));
  for (const u of urls) {
    const p = join(images, `${urlKey(u)}.jpg`);
    if (!existsSync(p)) {
      const w = 300 + (n++ * 97) % 900;
      await sharp(photos[n % 2]).resize(w, Math.round(w * (0.5 + ((n * 31) % 100) / 100)), { fit: 'fill' }).jpeg({ quality: 85 }).toFile(p);
    }
  }
  if (!existsSync(file)) {
    const lit = (s: string | null) => (s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`);
    const list = (xs: (string | null)[]) => `[${xs.map(lit).join(', ')}]::VARCHAR[]`;
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(`COPY (SELECT images, texts FROM (VALUES ${rows.map((r, i) => `(${i}, ${list(r.images)}, ${list(r.texts)})`).join(', ')}) t(i, images, texts) ORDER BY i) TO '${file}' (FORMAT parquet)`);
    con.closeSync();
    db.closeSync();
  }
  return { images: urls.length };
}

async function main() {
  const { images } = await generate();
  const file = join(dir, `obelics-${DOCS}.parquet`);
  // Baseline: the rows read into documents, no image work.
  let t0 = performance.now();
  const cfg = sourceConfig({ name: 'web', kind: 'interleaved' as const, paths: [file] as [string] });
  const { units } = await expandPaths('web', [file], dir);
  let docs = 0;
  for await (const _ of interleavedReader.read(units[0], cfg, { signal: new AbortController().signal, reject() {} })) docs++;
  const read = (performance.now() - t0) / 1000;
  // The whole run: images resolved, decoded, tiled and encoded, text tokenized, packed, written.
  const yaml = join(dir, 'bench.yaml');
  writeFileSync(yaml, `name: bench-interleaved\nsources:\n  - name: web\n    kind: interleaved\n    paths: ["${file}"]\n    imageStore: { type: dir, path: images }\noutput:\n  dir: out\npack:\n  maxTokens: 16384\nrun:\n  progressInterval: 60\n`);
  t0 = performance.now();
  const res = await runPipeline(yaml, { overwrite: true, log: createLogger('warn'), progress: false });
  const full = (performance.now() - t0) / 1000;
  console.log(`${DOCS} OBELICS rows, ${images} images (300–1200 px JPEG, dir store by SHA-1 of the URL)`);
  console.log('\n| path | seconds | documents/s | images/s |\n|---|---|---|---|');
  console.log(`| read rows into documents (baseline) | ${read.toFixed(2)} | ${(docs / read).toFixed(0)} | – |`);
  console.log(`| shardloom run (images tiled + encoded, tokenized, packed, written) | ${full.toFixed(2)} | ${(docs / full).toFixed(1)} | ${((res.stats.images?.tiled ?? 0) / full).toFixed(1)} |`);
  console.log(`\n${res.index.totals.tiles} tiles, ${res.index.totals.tokens} tokens; run / read-only: ${fmtRatio(read / full)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
