/**
 * Mix sources by target share of tokens: always pull next from the source whose emitted tokens are
 * furthest below `weight × total` (ties by the seeded RNG), so realised shares stay within one sample of
 * the target at every prefix of the stream. Sources are pulled lazily, one sample at a time.
 */
import type { Sample } from '../model.js';
import { rngFor } from '../rng.js';

export interface MixSource { name: string; weight: number; open: () => AsyncIterable<Sample> }
export interface MixOptions { seed: number; totalTokens?: number; onExhausted: 'stop' | 'cycle' | 'renormalize' }
export interface MixReport {
  tokens: Record<string, number>;
  samples: Record<string, number>;
  epochs: Record<string, number>;
  exhausted: { source: string; atTokens: number }[];
  stoppedBy: 'sources' | 'totalTokens' | 'stop-policy' | null;
}

export function mixByTokens(sources: MixSource[], opts: MixOptions): { samples: AsyncIterable<Sample>; report: MixReport } {
  const report: MixReport = { tokens: {}, samples: {}, epochs: {}, exhausted: [], stoppedBy: null };
  for (const s of sources) { report.tokens[s.name] = 0; report.samples[s.name] = 0; report.epochs[s.name] = 1; }
  return { samples: run(sources, opts, report), report };
}

async function* run(sources: MixSource[], opts: MixOptions, report: MixReport): AsyncGenerator<Sample> {
  const rng = rngFor(opts.seed, 'mix');
  const active = sources.map((s) => ({ ...s, it: s.open()[Symbol.asyncIterator](), emptyEpoch: true }));
  // With `cycle` and no token budget, the run ends once every source has completed an epoch.
  const finishedOnce = new Set<string>();
  let total = 0;
  while (active.length > 0) {
    if (opts.totalTokens !== undefined && total >= opts.totalTokens) { report.stoppedBy = 'totalTokens'; return; }
    const wsum = active.reduce((a, s) => a + s.weight, 0);
    let best: typeof active = [];
    let bestDeficit = -Infinity;
    for (const s of active) {
      const deficit = (s.weight / wsum) * total - report.tokens[s.name];
      if (deficit > bestDeficit + 1e-9) { best = [s]; bestDeficit = deficit; }
      else if (Math.abs(deficit - bestDeficit) <= 1e-9) best.push(s);
    }
    const pick = best.length === 1 ? best[0] : best[Math.floor(rng.next() * best.length)];
    const r = await pick.it.next();
    if (r.done) {
      report.exhausted.push({ source: pick.name, atTokens: total });
      finishedOnce.add(pick.name);
      if (opts.onExhausted === 'stop') { report.stoppedBy = 'stop-policy'; return; }
      const allDone = opts.totalTokens === undefined && sources.every((s) => finishedOnce.has(s.name));
      if (opts.onExhausted === 'cycle' && !pick.emptyEpoch && !allDone) {
        pick.it = pick.open()[Symbol.asyncIterator]();
        pick.emptyEpoch = true;
        report.epochs[pick.name]++;
        continue;
      }
      if (opts.onExhausted === 'cycle' && allDone) { report.stoppedBy = 'sources'; return; }
      active.splice(active.indexOf(pick), 1);
      continue;
    }
    pick.emptyEpoch = false;
    report.tokens[pick.name] += r.value.inputIds.length;
    report.samples[pick.name]++;
    total += r.value.inputIds.length;
    yield r.value;
  }
  report.stoppedBy = 'sources';
}
