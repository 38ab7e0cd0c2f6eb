/**
 * What stats.json reports, gathered while the run goes: realised token share per source against its
 * target, loss-bearing (text) tokens, tokens per sample, tiles per image, packing fill, rejects by reason.
 */
import type { PackedRow } from '../core/model.js';
import type { MixReport } from '../mix/index.js';
import type { Stats } from '../core/stats.js';
import type { Progress } from '../core/progress.js';
import { FORMAT_VERSION, Log2Histogram, fillHistogram, type MixVerdict, type StatsJson } from './index-file.js';
import { sortKeys } from './writer.js';

interface SourceTally { tokens: number; textTokens: number; samples: number }

/** What the statistics need of the config. */
export interface RunStatsConfig {
  sources: { name: string; weight: number }[];
  maxTokens: number;
  ratioTolerance: number;
  onExhausted: string;
}

export class RunStats {
  readonly targets: Record<string, number>;
  private readonly bySource = new Map<string, SourceTally>();
  private readonly tokensPerSample = new Log2Histogram();
  private readonly textTokensPerSample = new Log2Histogram();
  private readonly tilesPerImage = new Map<number, number>();
  private readonly fills: number[] = [];
  private rowTokens = 0;
  private chunks = 0;
  private mixReport: MixReport | null = null;

  constructor(private readonly cfg: RunStatsConfig, private readonly stats: Stats) {
    const total = cfg.sources.reduce((a, s) => a + s.weight, 0);
    this.targets = sortKeys(Object.fromEntries(cfg.sources.map((s) => [s.name, s.weight / total])));
    for (const s of cfg.sources) this.bySource.set(s.name, { tokens: 0, textTokens: 0, samples: 0 });
  }

  /** One written row: its samples (as packed: chunks of split documents count as samples), fill, progress. */
  observeRow(row: PackedRow, progress?: Progress): void {
    let tokens = 0;
    for (const s of row.samples) {
      const t = this.bySource.get(s.source)!;
      t.tokens += s.inputIds.length;
      t.textTokens += s.textTokens;
      t.samples++;
      tokens += s.inputIds.length;
      this.tokensPerSample.add(s.inputIds.length);
      this.textTokensPerSample.add(s.textTokens);
      for (const img of s.images) this.tilesPerImage.set(img.tiles.length, (this.tilesPerImage.get(img.tiles.length) ?? 0) + 1);
      if (/#\d+(@e\d+)?$/.test(s.id)) this.chunks++;
    }
    this.rowTokens += tokens;
    this.fills.push(tokens / this.cfg.maxTokens);
    if (progress) {
      progress.samples += row.samples.length;
      progress.tokens += tokens;
      progress.rows++;
      progress.rejects = this.stats.get('rejects');
    }
  }

  setMixReport(r: MixReport): void {
    this.mixReport = r;
  }

  toJSON(): StatsJson & { mixVerdict: MixVerdict } {
    const read: Record<string, number> = {};
    const rejected: Record<string, number> = {};
    for (const s of this.cfg.sources) {
      // Each record once: documents that were read, plus records rejected before they became one (a
      // document rejected later, by the media stage or the packer, is already among the documents).
      read[s.name] = this.stats.getSource(s.name, 'documents') + this.stats.getSource(s.name, 'rejects.read');
      rejected[s.name] = this.stats.getSource(s.name, 'rejects');
    }
    const totalRead = Object.values(read).reduce((a, b) => a + b, 0);
    const totalTokens = [...this.bySource.values()].reduce((a, t) => a + t.tokens, 0);
    const epochs = this.mixReport?.epochs ?? {};
    const share: StatsJson['share'] = {};
    for (const [name, t] of [...this.bySource].sort(([a], [b]) => (a < b ? -1 : 1))) {
      share[name] = { target: this.targets[name], realised: totalTokens ? t.tokens / totalTokens : 0, tokens: t.tokens, textTokens: t.textTokens, samples: t.samples, epochs: epochs[name] ?? 1 };
    }
    const rejectsByReason: Record<string, number> = {};
    for (const [k, v] of this.stats.counters) if (k.startsWith('rejects.')) rejectsByReason[k.slice(8)] = v;
    const rows = this.fills.length;
    const images: Record<string, number> = {};
    for (const [k, v] of this.stats.counters) if (k.startsWith('images.')) images[k.slice(7)] = v;
    return {
      images: sortKeys(images),
      formatVersion: FORMAT_VERSION,
      records: { read: sortKeys(read), rejected: sortKeys(rejected), rejectFraction: totalRead ? this.stats.get('rejects') / totalRead : 0 },
      rejectsByReason: sortKeys(rejectsByReason),
      share,
      packing: { rows, maxTokens: this.cfg.maxTokens, fill: rows ? this.rowTokens / (rows * this.cfg.maxTokens) : 0, fillHistogram: fillHistogram(this.fills), chunksSplit: this.chunks },
      tokensPerSample: this.tokensPerSample.toJSON(),
      textTokensPerSample: this.textTokensPerSample.toJSON(),
      tilesPerImage: Object.fromEntries([...this.tilesPerImage].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
      mix: this.mixReport,
      mixVerdict: this.verdict(share),
    };
  }

  /** Each source's target against what was written, epochs, sources that ran dry or were empty, and what lies outside validate.ratioTolerance. */
  private verdict(share: StatsJson['share']): MixVerdict {
    const tol = this.cfg.ratioTolerance;
    const exhausted = new Map((this.mixReport?.exhausted ?? []).map((e) => [e.source, e.atTokens]));
    const sources: MixVerdict['sources'] = {};
    for (const [name, s] of Object.entries(share)) {
      const deviation = s.realised - s.target;
      sources[name] = {
        target: s.target, realised: s.realised, deviation, epochs: s.epochs, empty: s.samples === 0,
        ranDryAtTokens: exhausted.get(name) ?? null, withinTolerance: Math.abs(deviation) <= tol,
      };
    }
    return { ok: Object.values(sources).every((s) => s.withinTolerance && !s.empty), tolerance: tol, onExhausted: this.cfg.onExhausted, stoppedBy: this.mixReport?.stoppedBy ?? null, sources };
  }
}

/** The mix verdict as lines for the run's log (stderr). */
export function formatMixVerdict(v: MixVerdict): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const lines = [`mix: ${v.ok ? 'every source within' : 'NOT every source within'} ±${(v.tolerance * 100).toFixed(2)} points of its target (validate.ratioTolerance); stopped by ${v.stoppedBy ?? 'an interruption'}`];
  for (const [name, s] of Object.entries(v.sources)) {
    const notes = [
      s.epochs > 1 ? `${s.epochs} epochs` : '',
      s.empty ? 'EMPTY: no sample written' : '',
      s.ranDryAtTokens !== null ? `ran dry at ${s.ranDryAtTokens.toLocaleString('en')} tokens (${v.onExhausted})` : '',
      s.withinTolerance ? '' : `OUTSIDE tolerance by ${((Math.abs(s.deviation) - v.tolerance) * 100).toFixed(2)} points`,
    ].filter(Boolean);
    lines.push(`mix:   ${name}: target ${pct(s.target)}, realised ${pct(s.realised)} (${s.deviation >= 0 ? '+' : ''}${(s.deviation * 100).toFixed(2)} points)${notes.length ? ' — ' + notes.join('; ') : ''}`);
  }
  return lines;
}
