/**
 * bench:pack — packing fill, share drift and samples/s on the same generated realistic stream:
 *   - the pipeline's pack-aware mix (rows built by token deficit from each source's look-ahead; ours),
 *   - a sample-level mix packed afterwards by best-fit over 512 samples (what the pipeline did before),
 *   - greedy first-fit with InternVL's published settings (buffer 20), and one sample per sequence.
 * Drift: the largest |tokens − share × total| of a source at a row boundary, in rows of maxTokens, while
 * every source still has data.
 *
 *   npm run bench:pack [-- --samples 200000]
 */
import { packSamples } from '../src/pack/strategy.js';
import { mixAndPack, mixByTokens, type MixSource } from '../src/mix/index.js';
import { chunkSample } from '../src/pack/chunk.js';
import type { PackedRow } from '../src/core/model.js';
import { syntheticSamples } from './synthetic.js';

const N = Number(process.argv.find((a, i) => process.argv[i - 1] === '--samples') ?? 200_000);
const maxTokens = 16384;
const maxTiles = 48;

async function main() {
  const samples = [...syntheticSamples(N, 42, maxTokens)];
  const tokensIn = samples.reduce((a, s) => a + s.inputIds.length, 0);
  console.log(`stream: ${N} samples, ${(tokensIn / 1e6).toFixed(1)} M tokens (40 % text with a long tail, 30 % interleaved with 1–6 images, 25 % captions, 5 % video; 1–13 tiles per image); ${maxTokens} tokens / ${maxTiles} tiles per sequence`);
  // Targets = each source's share of the stream's tokens, so that they all run out at about the same time;
  // `stop` ends the mix when the first one does, and drift and fill are measured over the rows before that.
  const SHARES: Record<string, number> = {};
  for (const s of samples) SHARES[s.source] = (SHARES[s.source] ?? 0) + s.inputIds.length / tokensIn;
  const sources = (): MixSource[] => Object.entries(SHARES).map(([name, weight]) => ({
    name, weight, async *open() { for (const s of samples) if (s.source === name) yield* chunkSample(s, maxTokens, maxTiles); },
  }));
  const mixOpts = { seed: 1, onExhausted: 'stop' as const };
  const runs: [string, () => AsyncIterable<PackedRow>][] = [
    ['pack-aware mix, look-ahead 128 per source (ours)', () => mixAndPack(sources(), { ...mixOpts, maxTokens, maxTiles, strategy: 'best-fit', lookahead: 128 }).rows],
    ['sample-level mix, then best-fit over 512 (before)', () => packSamples(mixByTokens(sources(), mixOpts).samples, { maxTokens, maxTiles, buffer: 512 })],
    ['sample-level mix, then greedy first-fit, buffer 20 (InternVL)', () => packSamples(mixByTokens(sources(), mixOpts).samples, { maxTokens, maxTiles, buffer: 20, strategy: 'first-fit' })],
    ['one sample per sequence', () => packSamples(mixByTokens(sources(), mixOpts).samples, { maxTokens, maxTiles, buffer: 1, strategy: 'one-per-sequence' })],
  ];
  console.log('\n| mix + packing | rows | fill | worst drift (rows) | samples/s |\n|---|---|---|---|---|');
  for (const [name, rows] of runs) {
    const t0 = performance.now();
    const all: PackedRow[] = [];
    for await (const r of rows()) all.push(r);
    const s = (performance.now() - t0) / 1000;
    // The last row is written after a source ran out: drift and fill count the rows before it.
    let tokens = 0, worst = 0, packed = 0;
    const bySource: Record<string, number> = {};
    for (const r of all.slice(0, -1)) {
      for (const x of r.samples) { bySource[x.source] = (bySource[x.source] ?? 0) + x.inputIds.length; tokens += x.inputIds.length; }
      for (const [k, w] of Object.entries(SHARES)) worst = Math.max(worst, Math.abs((bySource[k] ?? 0) - w * tokens));
    }
    for (const r of all) packed += r.samples.length;
    console.log(`| ${name} | ${all.length} | ${((tokens / ((all.length - 1) * maxTokens)) * 100).toFixed(2)} % | ${(worst / maxTokens).toFixed(2)} | ${Math.round(packed / s).toLocaleString('en')} |`);
  }
  console.log(`\ntargets (the stream's own token shares): ${Object.entries(SHARES).map(([k, v]) => `${k} ${(v * 100).toFixed(1)} %`).join(', ')}; each mix stops when its first source runs out.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
