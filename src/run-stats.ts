/**
 * What stats.json reports, gathered while the run goes: realised token share per source against its
 * target, loss-bearing (text) tokens, tokens per sample, tiles per image, packing fill, rejects by reason.
 */
import type { PackedRow, Sample } from './model.js';
import type { ResolvedConfig } from './config/types.js';
import type { Stats } from './stats.js';
import type { Progress } from './progress.js';
import { FORMAT_VERSION, Log2Histogram, fillHistogram, type StatsJson } from './shards/index-file.js';
import { sortKeys } from './shards/writer.js';

interface SourceTally { tokens: number; textTokens: number; samples: number }

export class RunStats {
  readonly targets: Record<string, number>;
  private readonly bySource = new Map<string, SourceTally>();
  private readonly tokensPerSample = new Log2Histogram();
  private readonly textTokensPerSample = new Log2Histogram();
  private readonly tilesPerImage = new Map<number, number>();
  private readonly fills: number[] = [];
  private rowTokens = 0;
  private chunks = 0;
  private mixReport: unknown = null;

  constructor(private readonly cfg: ResolvedConfig, private readonly stats: Stats) {
    const total = cfg.sources.reduce((a, s) => a + (s.weight ?? 1), 0);
    this.targets = sortKeys(Object.fromEntries(cfg.sources.map((s) => [s.name, (s.weight ?? 1) / total])));
    for (const s of cfg.sources) this.bySource.set(s.name, { tokens: 0, textTokens: 0, samples: 0 });
  }

  async *observeSamples(samples: AsyncIterable<Sample>, progress?: Progress): AsyncGenerator<Sample> {
    for await (const s of samples) {
      const t = this.bySource.get(s.source)!;
      t.tokens += s.inputIds.length;
      t.textTokens += s.textTokens;
      t.samples++;
      this.tokensPerSample.add(s.inputIds.length);
      this.textTokensPerSample.add(s.textTokens);
      for (const img of s.images) this.tilesPerImage.set(img.tiles.length, (this.tilesPerImage.get(img.tiles.length) ?? 0) + 1);
      if (progress) {
        progress.samples++;
        progress.tokens += s.inputIds.length;
        progress.rejects = this.stats.get('rejects');
      }
      yield s;
    }
  }

  observeRow(row: PackedRow): void {
    const tokens = row.samples.reduce((a, s) => a + s.inputIds.length, 0);
    this.rowTokens += tokens;
    this.fills.push(tokens / this.cfg.pack.maxTokens);
    for (const s of row.samples) if (s.id.includes('#')) this.chunks++;
  }

  setMixReport(r: unknown): void {
    this.mixReport = r;
  }

  toJSON(): StatsJson {
    const read: Record<string, number> = {};
    const rejected: Record<string, number> = {};
    for (const s of this.cfg.sources) {
      read[s.name] = this.stats.getSource(s.name, 'documents') + this.stats.getSource(s.name, 'rejects');
      rejected[s.name] = this.stats.getSource(s.name, 'rejects');
    }
    const totalRead = Object.values(read).reduce((a, b) => a + b, 0);
    const totalTokens = [...this.bySource.values()].reduce((a, t) => a + t.tokens, 0);
    const epochs = (this.mixReport as { epochs?: Record<string, number> } | null)?.epochs ?? {};
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
      packing: { rows, maxTokens: this.cfg.pack.maxTokens, fill: rows ? this.rowTokens / (rows * this.cfg.pack.maxTokens) : 0, fillHistogram: fillHistogram(this.fills), chunksSplit: this.chunks },
      tokensPerSample: this.tokensPerSample.toJSON(),
      textTokensPerSample: this.textTokensPerSample.toJSON(),
      tilesPerImage: Object.fromEntries([...this.tilesPerImage].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
      mix: this.mixReport,
    };
  }
}
