// Compare two runs sample by sample: node test/slurm/compare.mjs ONE_DIR MERGED_DIR
// Equal = the same multiset of sample ids, each with the same tokens (SHA-256 of its input ids) and the same
// tiles (SHA-256 of its tiles' bytes, in order), and the same tokens and samples per source.
// Packing differs between one rank and two, so rows are split back into samples first.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// SHARDLOOM_DIST: the build to read shards with (test/slurm/run.sh passes its own); default this tree's dist/.
const dist = process.env.SHARDLOOM_DIST ?? new URL('../../dist', import.meta.url).pathname;
const { readShardRows } = await import(pathToFileURL(resolve(dist, 'shards/parquet-io.js')).href);

async function samples(dir) {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const imgStart = index.tokenizer.imgStart;
  const out = new Map();
  const perSource = {};
  for (const shard of index.shards) {
    const file = shard.files.find((f) => f.path.endsWith('.parquet')) ?? shard.files[0];
    for await (const row of readShardRows(join(dir, file.path))) {
      let at = 0, image = 0, tile = 0;
      row.sampleIds.forEach((id, k) => {
        const ids = row.inputIds.subarray(at, at + row.sampleLengths[k]);
        at += row.sampleLengths[k];
        const images = ids.reduce((n, t) => n + (t === imgStart ? 1 : 0), 0);
        const nTiles = row.imageTiles.slice(image, image + images).reduce((a, b) => a + b, 0);
        image += images;
        const th = createHash('sha256');
        for (const t of row.tiles.slice(tile, tile + nTiles)) th.update(t);
        tile += nTiles;
        const key = `${id}\t${createHash('sha256').update(Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength)).digest('hex')}\t${nTiles}:${th.digest('hex')}`;
        out.set(key, (out.get(key) ?? 0) + 1);
        const s = (perSource[row.sampleSources[k]] ??= { samples: 0, tokens: 0 });
        s.samples++; s.tokens += ids.length;
      });
    }
  }
  return { out, perSource, complete: index.complete };
}

const [a, b] = await Promise.all(process.argv.slice(2, 4).map(samples));
let ok = true;
const check = (cond, msg) => { console.log(`${cond ? 'PASS' : 'FAIL'} ${msg}`); ok &&= cond; };
check(a.complete === true && b.complete === true, `both indexes complete (one: ${a.complete}, merged: ${b.complete})`);
const only = (x, y) => [...x.out].filter(([k, n]) => y.out.get(k) !== n).map(([k]) => k.split('\t')[0]);
const missing = only(a, b), extra = only(b, a);
const n = [...a.out.values()].reduce((s, v) => s + v, 0);
check(missing.length === 0 && extra.length === 0 && n > 0,
  `same multiset of ${n} samples with the same tokens and tiles` + (missing.length + extra.length ? ` (differ: ${[...missing, ...extra].slice(0, 5).join(', ')}, ${missing.length} only in one run, ${extra.length} only in the merged)` : ''));
const sorted = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k].samples, o[k].tokens]));
check(sorted(a.perSource) === sorted(b.perSource),
  `same tokens and samples per source: ${JSON.stringify(a.perSource)} vs ${JSON.stringify(b.perSource)}`);
process.exit(ok ? 0 : 1);
