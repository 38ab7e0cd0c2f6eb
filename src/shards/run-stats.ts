/**
 * What stats.json reports, gathered while the run goes: realised token share per source against its
 * target, loss-bearing (text) tokens, tokens per sample, tiles per image, packing fill, rejects by reason.
 */
import type { PackedRow } from '../core/model.js';
import type { MixReport } from '../mix/index.js';
import type { Stats } from '../core/stats.js';
import type { Progress } from '../core/progress.js';
import { FORMAT_VERSION, Log2Histogram, fillHistogram, type Histogram, type MixVerdict, type StatsJson } from './index-file.js';
import { sortKeys } from './writer.js';
import { jpegTraits } from '../compute/jpeg-info.js';

/**
 * Packing fill, the one definition every command shows (stats.json `packing.fill`, `stats`, `validate`,
 * the HTML report): the tokens of every row over rows × `pack.maxTokens`, the last rows of the run included.
 */
export function packingFill(rowTokens: number, rows: number, maxTokens: number): number {
  return rows > 0 && maxTokens > 0 ? rowTokens / (rows * maxTokens) : 0;
}

/** The label and the number, the same wherever packing fill is shown. */
export const FILL_LABEL = 'packing fill';
export const formatFill = (fill: number): string => `${(fill * 100).toFixed(2)} %`;

/**
 * Width and height of an encoded image from its header (JPEG, PNG, GIF, WebP, BMP), as shown (a JPEG's
 * EXIF rotation by 90° swaps them); null for other formats or a header that cannot be read.
 */
export function imageHeaderSize(b: Uint8Array): { width: number; height: number } | null {
  const u16be = (i: number) => (b[i] << 8) | b[i + 1];
  const u16le = (i: number) => b[i] | (b[i + 1] << 8);
  const u32be = (i: number) => b[i] * 2 ** 24 + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
  const u32le = (i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 2 ** 24;
  const ascii = (i: number, s: string) => [...s].every((c, k) => b[i + k] === c.charCodeAt(0));
  const ok = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : null);
  if (b.length >= 24 && b[0] === 0x89 && ascii(1, 'PNG') && ascii(12, 'IHDR')) return ok(u32be(16), u32be(20));
  if (b.length >= 10 && (ascii(0, 'GIF87a') || ascii(0, 'GIF89a'))) return ok(u16le(6), u16le(8));
  if (b.length >= 26 && ascii(0, 'BM')) return ok(u32le(18), Math.abs(u32le(22) | 0));
  if (b.length >= 30 && ascii(0, 'RIFF') && ascii(8, 'WEBP')) {
    if (ascii(12, 'VP8 ')) return ok(u16le(26) & 0x3fff, u16le(28) & 0x3fff);
    if (ascii(12, 'VP8L')) return ok(1 + (b[21] | ((b[22] & 0x3f) << 8)), 1 + ((b[22] >> 6) | (b[23] << 2) | ((b[24] & 0x0f) << 10)));
    if (ascii(12, 'VP8X')) return ok(1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16)));
    return null;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return null;
      const m = b[i + 1];
      if (m === 0xff) { i++; continue; }
      if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
      if (m === 0xda || m === 0xd9) return null;
      // SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC).
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        const size = ok(u16be(i + 7), u16be(i + 5));
        const o = jpegTraits(b)?.orientation ?? 1;
        return size && o >= 5 && o <= 8 ? { width: size.height, height: size.width } : size;
      }
      i += 2 + u16be(i + 2);
    }
  }
  return null;
}

/** Aspect-ratio (width / height) bucket edges of stats.json `imageSizes.aspect`: from 1:4 to 4:1. */
export const ASPECT_EDGES = [0, 0.25, 1 / 3, 0.5, 2 / 3, 0.8, 1.25, 1.5, 2, 3, 4];
export const ASPECT_LABELS = ['<1:4', '1:4–1:3', '1:3–1:2', '1:2–2:3', '2:3–4:5', '≈1:1', '5:4–3:2', '3:2–2:1', '2:1–3:1', '3:1–4:1', '>4:1'];
const SIZE = 'imagesize.';

/**
 * Count one tiled image's original size in the run's counters (the media stage calls it for every image it
 * keeps; stats.json gets `imageSizes` from them). Nothing of it reaches the shards.
 */
export function recordImageSize(stats: Stats, bytes: Uint8Array): void {
  const s = imageHeaderSize(bytes);
  if (!s) { stats.inc(SIZE + 'unknown'); return; }
  const bucket = (v: number) => (v < 1 ? 0 : Math.floor(Math.log2(v)) + 1);
  stats.inc(`${SIZE}width.${bucket(s.width)}`);
  stats.inc(`${SIZE}height.${bucket(s.height)}`);
  const r = s.width / s.height;
  let k = 0;
  while (k + 1 < ASPECT_EDGES.length && r >= ASPECT_EDGES[k + 1] - 1e-9) k++;
  stats.inc(`${SIZE}aspect.${k}`);
  stats.inc(`${SIZE}pixels`, s.width * s.height);
  stats.inc(`${SIZE}count`);
}

/** stats.json `imageSizes`: width and height (log2 buckets, as tokensPerSample) and aspect ratio of the tiled images. */
export interface ImageSizes { count: number; unknown: number; meanPixels: number; width: Histogram; height: Histogram; aspect: Histogram & { labels: string[] } }

export function imageSizesOf(stats: Stats): ImageSizes | undefined {
  const get = (k: string) => stats.get(SIZE + k);
  const count = get('count'), unknown = get('unknown');
  if (count + unknown === 0) return undefined;
  const log2 = (axis: string): Histogram => {
    let n = 0;
    for (const k of stats.counters.keys()) if (k.startsWith(`${SIZE}${axis}.`)) n = Math.max(n, Number(k.slice(SIZE.length + axis.length + 1)) + 1);
    const counts = Array.from({ length: n }, (_, i) => get(`${axis}.${i}`));
    return { edges: counts.map((_, i) => (i === 0 ? 0 : 2 ** (i - 1))), counts };
  };
  return {
    count, unknown, meanPixels: count ? Math.round(get('pixels') / count) : 0, width: log2('width'), height: log2('height'),
    aspect: { edges: ASPECT_EDGES.map((e) => Math.round(e * 1e4) / 1e4), labels: ASPECT_LABELS, counts: ASPECT_EDGES.map((_, i) => get(`aspect.${i}`)) },
  };
}

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

  toJSON(): StatsJson & { mixVerdict: MixVerdict; imageSizes?: ImageSizes } {
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
    const imageSizes = imageSizesOf(this.stats);
    return {
      images: sortKeys(images),
      formatVersion: FORMAT_VERSION,
      records: { read: sortKeys(read), rejected: sortKeys(rejected), rejectFraction: totalRead ? this.stats.get('rejects') / totalRead : 0 },
      rejectsByReason: sortKeys(rejectsByReason),
      share,
      packing: { rows, maxTokens: this.cfg.maxTokens, fill: packingFill(this.rowTokens, rows, this.cfg.maxTokens), fillHistogram: fillHistogram(this.fills), chunksSplit: this.chunks },
      tokensPerSample: this.tokensPerSample.toJSON(),
      textTokensPerSample: this.textTokensPerSample.toJSON(),
      tilesPerImage: Object.fromEntries([...this.tilesPerImage].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
      ...(imageSizes ? { imageSizes } : {}),
      mix: this.mixReport,
      mixVerdict: this.verdict(share),
    };
  }

  /** Each source's target against what was written, epochs, sources that ran dry or were empty, and what lies outside validate.ratioTolerance. */
  private verdict(share: StatsJson['share']): MixVerdict {
    const exhausted = new Map((this.mixReport?.exhausted ?? []).map((e) => [e.source, e.atTokens]));
    return judgeMix(share, { tolerance: this.cfg.ratioTolerance, onExhausted: this.cfg.onExhausted, stoppedBy: this.mixReport?.stoppedBy ?? null, ranDry: exhausted });
  }
}

/**
 * The mix verdict on realised shares: each source's deviation from its target, whether it is within
 * `tolerance` and whether it is empty; ok when every source is within and none empty. `ranDry`: the tokens at
 * which a source ran dry. One definition for a run (RunStats) and for merged ranks (scale/merge.ts).
 */
export function judgeMix(share: StatsJson['share'], o: { tolerance: number; onExhausted: string; stoppedBy: string | null; ranDry: ReadonlyMap<string, number> }): MixVerdict {
  const sources: MixVerdict['sources'] = {};
  for (const [name, s] of Object.entries(share)) {
    const deviation = s.realised - s.target;
    sources[name] = {
      target: s.target, realised: s.realised, deviation, epochs: s.epochs, empty: s.samples === 0,
      ranDryAtTokens: o.ranDry.get(name) ?? null, withinTolerance: Math.abs(deviation) <= o.tolerance,
    };
  }
  return { ok: Object.values(sources).every((s) => s.withinTolerance && !s.empty), tolerance: o.tolerance, onExhausted: o.onExhausted, stoppedBy: o.stoppedBy, sources };
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
