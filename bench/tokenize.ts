/**
 * bench:tokenize — MB/s and tokens/s per core of the reference path (@lenml/tokenizers, pure JS) and the
 * fast path (tiktoken WASM BPE) on the same text in one run, and of the whole machine with the worker pool.
 *
 *   npm run bench:tokenize [-- --mb 8]
 */
import { cpus } from 'node:os';
import { loadTokenizer, createTokenizerPool } from '../src/tokenize/tokenizer.js';
import { wordSampler, fmtRatio } from './common.js';
import { rngFor } from '../src/core/rng.js';

const MB = Number(process.argv.find((a, i) => process.argv[i - 1] === '--mb') ?? 8);

function corpus(): string[] {
  const word = wordSampler(3);
  const rng = rngFor(3, 'tok-bench');
  const docs: string[] = [];
  let bytes = 0;
  while (bytes < MB * 1e6) {
    const n = Math.floor(30 * Math.exp(rng.next() * 5));
    const d = Array.from({ length: n }, word).join(' ');
    docs.push(d);
    bytes += Buffer.byteLength(d);
  }
  return docs;
}

async function main() {
  const docs = corpus();
  const bytes = docs.reduce((a, d) => a + Buffer.byteLength(d), 0);
  console.log(`corpus: ${docs.length} documents, ${(bytes / 1e6).toFixed(1)} MB (Zipf words from Debian licence texts + some CJK/Arabic/emoji)`);
  const rows: [string, number, number, number][] = [];
  for (const fast of ['never', 'always'] as const) {
    const tok = await loadTokenizer({ name: 'qwen3', fast });
    tok.encode(docs[0]); // warm up
    const t0 = performance.now();
    let tokens = 0;
    for (const d of docs) tokens += tok.encode(d).length;
    const s = (performance.now() - t0) / 1000;
    rows.push([fast === 'never' ? 'reference (pure JS), 1 thread' : 'fast (tiktoken WASM), 1 thread', s, bytes / 1e6 / s, tokens / s]);
  }
  const workers = cpus().length;
  for (const fast of ['never', 'always'] as const) {
    const pool = await createTokenizerPool({ name: 'qwen3', fast }, workers);
    await pool.encodeMany(docs.slice(0, 50)); // warm up every worker
    const t0 = performance.now();
    let tokens = 0;
    for (let i = 0; i < docs.length; i += 2000) for (const ids of await pool.encodeMany(docs.slice(i, i + 2000))) tokens += ids.length;
    const s = (performance.now() - t0) / 1000;
    await pool.close();
    rows.push([`${fast === 'never' ? 'reference' : 'fast'}, worker pool × ${workers}`, s, bytes / 1e6 / s, tokens / s]);
  }
  console.log('\n| path | seconds | MB/s | tokens/s |\n|---|---|---|---|');
  for (const [name, s, mbs, tps] of rows) console.log(`| ${name} | ${s.toFixed(2)} | ${mbs.toFixed(2)} | ${(tps / 1e6).toFixed(2)} M |`);
  console.log(`\nfast / reference per core: ${fmtRatio(rows[1][2] / rows[0][2])}; fast pool / fast 1 thread: ${fmtRatio(rows[3][2] / rows[1][2])} on ${workers} cores`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
