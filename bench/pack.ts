/**
 * bench:pack — packing fill, share drift and samples/s on the same generated realistic stream:
 *   - the pipeline's pack-aware mix (rows built by token deficit from each source's look-ahead; ours),
 *   - a sample-level mix packed afterwards by best-fit over 512 samples (what the pipeline did before),
 *   - greedy first-fit with InternVL's published settings (buffer 20), and one sample per sequence.
 * Drift: the largest |tokens − share × total| of a source at a row boundary, in rows of maxTokens.
 *
 *   npm run bench:pack [-- --samples 200000]
 */
import { packSamples } from '../src/pack/strategy.js';
import { mixAndPack, mixByTokens, type MixSource } from '../src/mix/index.js';
import { chunkSample } from '../src/pack/chunk.js';
import type { PackedRow, Sample } from '../src/model.js';
import { syntheticSamples } from './synthetic.js';

const N = Number(process.argv.find((a, i) => process.argv[i - 1] === '--samples') ?? 200_000);
const maxTokens = 16384;
const maxTiles = 48;
const SHARES: Record<string, number> = { text: 0.4, interleaved: 0.3, caption: 0.25, video: 0.05 };

async function main() {
  const samples = [...syntheticSamples(N, 42, maxTokens)];
  const tokensIn = samples.reduce((a, s) => a + s.inputIds.length, 0);
  console.log(`stream: ${N} samples, ${(tokensIn / 1e6).toFixed(1)} M tokens (40 % text with a long tail, 30 % interleaved with 1–6 images, 25 % captions, 5 % video; 1–13 tiles per image); ${maxTokens} tokens / ${maxTiles} tiles per sequence`);
  const sources = (): MixSource[] => Object.entries(SHARES).map(([name, weight]) => ({
    name, weight, async *open() { for (const s of samples) if (s.source === name) yield* chunkSample(s, maxTokens, maxTiles); },
  }));
  const mixOpts = { seed: 1, onExhausted: 'renormalize' as const };
  const runs: [string, () => AsyncIterable<PackedRow>][] = [
    ['pack-aware mix, look-ahead 128 per source (ours)', () => mixAndPack(sources(), { ...mixOpts, maxTokens, maxTiles, strategy: 'best-fit', lookahead: 128 }).rows],
    ['sample-level mix, then best-fit over 512 (before)', () => packSamples(mixByTokens(sources(), mixOpts).samples, { maxTokens, maxTiles, buffer: 512 })],
    ['sample-level mix, then greedy first-fit, buffer 20 (InternVL)', () => packSamples(mixByTokens(sources(), mixOpts).samples, { maxTokens, maxTiles, buffer: 20, strategy: 'first-fit' })],
    ['one sample per sequence', () => packSamples(mixByTokens(sources(), mixOpts).samples, { maxTokens, maxTiles, buffer: 1, strategy: 'one-per-sequence' })],
  ];
  const videoTokens = totalOf(samples, 'video');
  console.log('\n| mix + packing | rows | fill | worst drift (rows) | samples/s |\n|---|---|---|---|---|');
  for (const [name, rows] of runs) {
    const t0 = performance.now();
    let n = 0, tokens = 0, worst = 0, packed = 0;
    const bySource: Record<string, number> = {};
    let exhausted = false;
    for await (const r of rows()) {
      n++;
      for (const s of r.samples) { bySource[s.source] = (bySource[s.source] ?? 0) + s.inputIds.length; tokens += s.inputIds.length; packed++; }
      // Drift counts while every source still has data (the video source runs out first).
      exhausted ||= (bySource.video ?? 0) >= videoTokens;
      if (!exhausted) for (const [k, w] of Object.entries(SHARES)) worst = Math.max(worst, Math.abs((bySource[k] ?? 0) - w * tokens));
    }
    const s = (performance.now() - t0) / 1000;
    if (tokens !== tokensIn) throw new Error(`${name} lost tokens: ${tokens} ≠ ${tokensIn}`);
    console.log(`| ${name} | ${n} | ${((tokens / (n * maxTokens)) * 100).toFixed(2)} % | ${(worst / maxTokens).toFixed(2)} | ${Math.round(packed / s).toLocaleString('en')} |`);
  }
  console.log('\nEvery run kept every token (documents longer than a row are chunked, never inside an image span).');
}

function totalOf(samples: Sample[], source: string): number {
  return samples.filter((s) => s.source === source).reduce((a, s) => a + s.inputIds.length, 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
