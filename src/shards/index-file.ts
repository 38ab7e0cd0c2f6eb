/**
 * index.json and stats.json: what a run wrote and what it looked like. Both are deterministic
 * (no timestamps, sorted keys) so two runs with the same inputs, config and seed agree byte for byte.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import type { ShardRecord } from './writer.js';
import { sortKeys } from './writer.js';

/** 2: the file metadata's ids and sizes are JSON numbers, with eos_id and vocab_size; ids may carry `@eN` (epoch). */
export const FORMAT_VERSION = '2';

export interface IndexJson {
  formatVersion: string;
  name: string;
  configHash: string;
  /** False when the run was interrupted: what is listed is finished and verified; `run --resume` completes it. */
  complete: boolean;
  /** Why the run stopped early (a write error, a broken source), when it did. */
  error?: string;
  rank: number;
  worldSize: number;
  tokenizer: { name: string; imgStart: number; imgEnd: number; imgContext: number; vocabSize: number; eos?: number | null };
  /** Target share of tokens per source (weights normalised). */
  targets: Record<string, number>;
  shards: ShardRecord[];
  totals: { shards: number; rows: number; samples: number; tokens: number; tiles: number; bytes: number; tokensBySource: Record<string, number> };
  config: unknown;
}

export interface Histogram { edges: number[]; counts: number[] }

export interface StatsJson {
  formatVersion: string;
  records: { read: Record<string, number>; rejected: Record<string, number>; rejectFraction: number };
  rejectsByReason: Record<string, number>;
  share: Record<string, { target: number; realised: number; tokens: number; textTokens: number; samples: number; epochs: number }>;
  packing: { rows: number; maxTokens: number; fill: number; fillHistogram: Histogram; chunksSplit: number };
  tokensPerSample: Histogram & { mean: number; max: number };
  /** Loss-bearing (text, incl. the end-of-sample token) tokens per sample: what per-sample loss weighting needs. */
  textTokensPerSample?: Histogram & { mean: number; max: number };
  tilesPerImage: Record<string, number>;
  /** Image counters: `tiled`, `dropped`, `dropped.<reason>` (missing, similarity, too_many, duplicate …). */
  images?: Record<string, number>;
  mix: unknown;
  /** The run's own judgement of its mix (also printed at the end of the run). */
  mixVerdict?: MixVerdict;
}

export interface MixVerdict {
  /** Every source within `tolerance` of its target and none empty. */
  ok: boolean;
  tolerance: number;
  onExhausted: string;
  stoppedBy: string | null;
  sources: Record<string, { target: number; realised: number; deviation: number; epochs: number; empty: boolean; ranDryAtTokens: number | null; withinTolerance: boolean }>;
}

export function totalsOf(shards: ShardRecord[]): IndexJson['totals'] {
  const tokensBySource: Record<string, number> = {};
  let rows = 0, samples = 0, tokens = 0, tiles = 0, bytes = 0;
  for (const s of shards) {
    rows += s.rows;
    samples += s.samples;
    tokens += s.tokens;
    tiles += s.tiles;
    bytes += s.files.reduce((a, f) => a + f.bytes, 0);
    for (const [k, v] of Object.entries(s.tokensBySource)) tokensBySource[k] = (tokensBySource[k] ?? 0) + v;
  }
  return { shards: shards.length, rows, samples, tokens, tiles, bytes, tokensBySource: sortKeys(tokensBySource) };
}

/** Write JSON atomically (temp + rename). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path + '.tmp', JSON.stringify(value, null, 2) + '\n');
  await rename(path + '.tmp', path);
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Power-of-two buckets: [0,1), [1,2), [2,4) … — compact and readable for long-tailed counts. */
export class Log2Histogram {
  private counts: number[] = [];
  private sum = 0;
  private n = 0;
  max = 0;

  add(v: number): void {
    const b = v < 1 ? 0 : Math.floor(Math.log2(v)) + 1;
    while (this.counts.length <= b) this.counts.push(0);
    this.counts[b]++;
    this.sum += v;
    this.n++;
    if (v > this.max) this.max = v;
  }

  toJSON(): Histogram & { mean: number; max: number } {
    return { edges: this.counts.map((_, i) => (i === 0 ? 0 : 2 ** (i - 1))), counts: this.counts, mean: this.n ? this.sum / this.n : 0, max: this.max };
  }
}

/** Fixed buckets over [0, 1] in steps of 0.05 (for packing fill). */
export function fillHistogram(fills: number[]): Histogram {
  const edges = Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);
  const counts = new Array(21).fill(0);
  for (const f of fills) counts[Math.min(20, Math.floor(f * 20 + 1e-9))]++;
  return { edges, counts };
}
