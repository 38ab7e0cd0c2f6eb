/**
 * merge: join the outputs of the ranks of one multi-rank run into ONE index.json, stats.json and
 * rejects.jsonl. Shards are not copied or rewritten — the merged index points at them (paths relative to
 * the merged directory), so a merge takes seconds however large the run. Ranks of different configs,
 * duplicate ranks and incomplete sets are refused: a merged index must describe exactly one run.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { once } from 'node:events';
import { join, relative, resolve, sep } from 'node:path';
import { ShardloomError } from '../core/errors.js';
import { FORMAT_VERSION, readJson, totalsOf, writeJson, type Histogram, type IndexJson, type MixVerdict, type StatsJson } from '../shards/index-file.js';
import { judgeMix, type ImageSizes } from '../shards/run-stats.js';
import { sortKeys, type ShardRecord } from '../shards/writer.js';

/** A shard of the merged index: `index` is global (0…n-1 in rank order), `rank` says which rank wrote it. */
export interface MergedShardRecord extends ShardRecord { rank: number }

export interface RankEntry {
  rank: number;
  /** The rank's directory, relative to the merged directory. */
  dir: string;
  complete: boolean;
  shards: number;
  rows: number;
  tokens: number;
}

export interface MergedIndexJson extends Omit<IndexJson, 'rank' | 'shards'> {
  ranks: RankEntry[];
  shards: MergedShardRecord[];
}

export interface MergeOptions {
  /** Rank directories (anywhere); default: every `rank-*` directory in the merged directory. */
  from?: string[];
  /** Merge what is there even when ranks are missing or interrupted (the merged index says complete: false). */
  allowPartial?: boolean;
}

export interface MergeResult {
  outDir: string;
  index: MergedIndexJson;
  stats: StatsJson;
  /** Ranks below the world size with no output (only with allowPartial). */
  missing: number[];
}

interface RankRun { dir: string; index: IndexJson; stats: StatsJson }

const RANK_DIR = /^rank-(\d+)$/;

export async function mergeRuns(outDir: string, opts: MergeOptions = {}): Promise<MergeResult> {
  const out = resolve(outDir);
  const { runs, unfinished } = await loadRanks(out, opts.from);
  const worldSize = checkSameRun(runs);
  runs.sort((a, b) => a.index.rank - b.index.rank);
  const missing = checkComplete(runs, worldSize, unfinished, !!opts.allowPartial);
  await checkOutDir(out, runs);

  const shards: MergedShardRecord[] = [];
  const ranks: RankEntry[] = [];
  for (const r of runs) {
    const rel = relPath(out, r.dir);
    ranks.push({ rank: r.index.rank, dir: rel, complete: r.index.complete, shards: r.index.totals.shards, rows: r.index.totals.rows, tokens: r.index.totals.tokens });
    for (const s of r.index.shards) {
      shards.push({ ...s, index: shards.length, rank: r.index.rank, files: s.files.map((f) => ({ ...f, path: joinRel(rel, f.path) })) });
    }
  }
  const first = runs[0].index;
  const index: MergedIndexJson = {
    formatVersion: FORMAT_VERSION,
    name: first.name,
    configHash: first.configHash,
    complete: missing.length === 0 && runs.every((r) => r.index.complete),
    worldSize,
    ranks,
    tokenizer: first.tokenizer,
    targets: first.targets,
    shards,
    totals: totalsOf(shards),
    config: first.config,
  };
  const renormalized = [...new Set(runs.flatMap((r) => (r.index as { renormalized?: string[] }).renormalized ?? []))].sort();
  if (renormalized.length > 0) (index as MergedIndexJson & { renormalized?: string[] }).renormalized = renormalized;
  const stats = mergeStats(runs.map((r) => ({ rank: r.index.rank, stats: r.stats })));
  // A smoke run's ranks (`--limit N`, the same N: it is in the config hash they share) stay marked as one.
  const limit = (first as { limit?: number }).limit;
  if (limit !== undefined) {
    (index as MergedIndexJson & { limit?: number }).limit = limit;
    (stats as StatsJson & { limit?: number }).limit = limit;
  }

  // index.json last: it is what readers look for, so it appears only once the rest is in place.
  await mkdir(out, { recursive: true });
  await concatFiles(runs.map((r) => join(r.dir, 'rejects.jsonl')), join(out, 'rejects.jsonl'));
  await writeJson(join(out, 'stats.json'), stats);
  await writeJson(join(out, 'index.json'), index);
  return { outDir: out, index, stats, missing };
}

/** Read every rank's index.json and stats.json; rank directories without an index.json are "unfinished". */
async function loadRanks(out: string, from?: string[]): Promise<{ runs: RankRun[]; unfinished: Map<number, string> }> {
  const unfinished = new Map<number, string>();
  let dirs: string[];
  if (from && from.length > 0) {
    dirs = from.map((d) => resolve(d));
    const absent = dirs.filter((d) => !existsSync(join(d, 'index.json')));
    if (absent.length > 0) throw new ShardloomError('USAGE', `--from: no index.json in ${absent.join(', ')} — expected the output directory of one rank (e.g. OUT/rank-00003)`);
  } else {
    if (!existsSync(out)) throw new ShardloomError('USAGE', `${out} does not exist — expected the --out directory of a multi-rank run (holding rank-00000/, rank-00001/, …)`);
    const names = (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory() && RANK_DIR.test(e.name)).map((e) => e.name).sort();
    dirs = [];
    for (const n of names) {
      const d = join(out, n);
      if (existsSync(join(d, 'index.json'))) dirs.push(d);
      else unfinished.set(Number(RANK_DIR.exec(n)![1]), n);
    }
    if (dirs.length === 0) {
      throw new ShardloomError('USAGE', `${out} holds no finished rank: expected rank-00000/index.json, rank-00001/index.json, … (found ${names.length ? names.join(', ') + ' without index.json' : 'no rank-* directories'}). For rank directories elsewhere use --from DIR…`);
    }
  }
  const runs: RankRun[] = [];
  for (const dir of dirs) {
    if (dir === out) throw new ShardloomError('USAGE', `${dir} is both a rank directory and the merge destination; merge into another directory`);
    if (!existsSync(join(dir, 'stats.json'))) throw new ShardloomError('USAGE', `${dir} holds index.json but no stats.json — the rank did not finish writing`);
    const index = await readJson<IndexJson>(join(dir, 'index.json'));
    if (!Number.isInteger(index.rank) || !Number.isInteger(index.worldSize)) {
      throw new ShardloomError('USAGE', `${join(dir, 'index.json')} has no rank/worldSize (found rank ${String(index.rank)}, worldSize ${String(index.worldSize)}) — is it the output of one rank?`);
    }
    runs.push({ dir, index, stats: await readJson<StatsJson>(join(dir, 'stats.json')) });
  }
  return { runs, unfinished };
}

/** One config, one world size, each rank once. Returns the world size. */
function checkSameRun(runs: RankRun[]): number {
  const groups = (key: (r: RankRun) => string) => {
    const m = new Map<string, RankRun[]>();
    for (const r of runs) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
    return [...m].map(([k, rs]) => `${k} (rank${rs.length > 1 ? 's' : ''} ${rs.map((r) => `${r.index.rank} in ${r.dir}`).join(', ')})`);
  };
  const hashes = groups((r) => `config ${r.index.configHash}`);
  if (hashes.length > 1) {
    throw new ShardloomError('OUTPUT_CONFLICT', `cannot merge ranks of different configs: ${hashes.join('; ')}. Shards of different configs never mix — rerun the odd ranks with the same config.`);
  }
  const sizes = groups((r) => `world size ${r.index.worldSize}`);
  if (sizes.length > 1) throw new ShardloomError('OUTPUT_CONFLICT', `cannot merge ranks of different world sizes: ${sizes.join('; ')}`);
  const seen = new Map<number, string>();
  for (const r of runs) {
    const other = seen.get(r.index.rank);
    if (other !== undefined) throw new ShardloomError('OUTPUT_CONFLICT', `rank ${r.index.rank} appears twice: in ${other} and in ${r.dir} (config ${r.index.configHash}); name each rank once`);
    seen.set(r.index.rank, r.dir);
  }
  const worldSize = runs[0].index.worldSize;
  const beyond = runs.find((r) => r.index.rank >= worldSize);
  if (beyond) throw new ShardloomError('OUTPUT_CONFLICT', `${beyond.dir}: rank ${beyond.index.rank} is not below the world size ${worldSize}`);
  return worldSize;
}

/** Every rank 0…N-1 present and finished, or allowPartial. Returns the missing ranks. */
function checkComplete(runs: RankRun[], worldSize: number, unfinished: Map<number, string>, allowPartial: boolean): number[] {
  const have = new Set(runs.map((r) => r.index.rank));
  const missing = Array.from({ length: worldSize }, (_, i) => i).filter((i) => !have.has(i));
  const interrupted = runs.filter((r) => !r.index.complete).map((r) => r.index.rank);
  if (allowPartial || (missing.length === 0 && interrupted.length === 0)) return missing;
  const hash = runs[0].index.configHash;
  const parts: string[] = [];
  if (missing.length > 0) {
    const why = missing.map((k) => (unfinished.has(k) ? `${k} (${unfinished.get(k)}/ has no index.json: still running or failed)` : String(k)));
    parts.push(`missing rank${missing.length > 1 ? 's' : ''} ${why.join(', ')} of world size ${worldSize}`);
  }
  if (interrupted.length > 0) {
    parts.push(`rank${interrupted.length > 1 ? 's' : ''} ${interrupted.join(', ')} interrupted (index.json says complete: false; finish with: shardloom run CONFIG --rank K --world-size ${worldSize} --out OUT --resume)`);
  }
  throw new ShardloomError('USAGE', `incomplete run (config ${hash}): ${parts.join('; ')}. Pass --allow-partial to merge what is there.`);
}

/** The destination may hold an earlier merge (replaced), but not the output of a single run. */
async function checkOutDir(out: string, runs: RankRun[]): Promise<void> {
  const p = join(out, 'index.json');
  if (!existsSync(p)) return;
  const prev = await readJson<Partial<MergedIndexJson>>(p).catch(() => ({}) as Partial<MergedIndexJson>);
  if (!Array.isArray(prev.ranks)) {
    throw new ShardloomError('OUTPUT_CONFLICT', `${out} already holds the index.json of a single run (not a merge); merge into another directory`);
  }
  if (prev.configHash !== runs[0].index.configHash) {
    throw new ShardloomError('OUTPUT_CONFLICT', `${out} already holds a merge of config ${prev.configHash}, the ranks are config ${runs[0].index.configHash}; merge into another directory`);
  }
}

/** Relative path with forward slashes, so index.json reads the same on every OS. */
function relPath(from: string, to: string): string {
  return relative(from, to).split(sep).join('/');
}

function joinRel(dir: string, file: string): string {
  return dir ? `${dir}/${file}` : file;
}

/**
 * stats.json of the whole run: counters summed, shares recomputed from tokens, histograms added bucket
 * by bucket, fill recomputed from rows and row tokens. Ranks are taken in rank order so the float sums,
 * and therefore the bytes, are the same on every merge.
 */
export function mergeStats(ranks: { rank: number; stats: StatsJson }[]): StatsJson {
  const all = ranks.map((r) => r.stats);
  const read = sumMaps(all.map((s) => s.records.read));
  const rejected = sumMaps(all.map((s) => s.records.rejected));
  const totalRead = Object.values(read).reduce((a, b) => a + b, 0);
  const totalRejected = Object.values(rejected).reduce((a, b) => a + b, 0);
  const share: StatsJson['share'] = {};
  for (const name of [...new Set(all.flatMap((s) => Object.keys(s.share)))].sort()) {
    const parts = all.map((s) => s.share[name]).filter((p) => p !== undefined);
    share[name] = { target: parts[0].target, realised: 0, tokens: sum(parts.map((p) => p.tokens)), textTokens: sum(parts.map((p) => p.textTokens)), samples: sum(parts.map((p) => p.samples)), epochs: Math.max(...parts.map((p) => p.epochs)) };
  }
  const totalTokens = sum(Object.values(share).map((s) => s.tokens));
  for (const s of Object.values(share)) s.realised = totalTokens ? s.tokens / totalTokens : 0;
  const maxTokens = all[0].packing.maxTokens;
  const rows = sum(all.map((s) => s.packing.rows));
  // Each rank's fill is rowTokens / (rows × maxTokens): recover its integer row tokens and add them.
  const rowTokens = sum(all.map((s) => Math.round(s.packing.fill * s.packing.rows * s.packing.maxTokens)));
  const images = all.some((s) => s.images) ? sumMaps(all.map((s) => s.images ?? {})) : undefined;
  const imageSizes = mergeImageSizes(all.map((s) => (s as MergedStats).imageSizes));
  const textTps = all.every((s) => s.textTokensPerSample) ? mergeTokenHistograms(all.map((s) => s.textTokensPerSample!), 'textTokensPerSample') : undefined;
  return {
    ...(images ? { images } : {}),
    formatVersion: FORMAT_VERSION,
    records: { read, rejected, rejectFraction: totalRead ? totalRejected / totalRead : 0 },
    rejectsByReason: sumMaps(all.map((s) => s.rejectsByReason)),
    share,
    packing: { rows, maxTokens, fill: rows ? rowTokens / (rows * maxTokens) : 0, fillHistogram: addHistograms(all.map((s) => s.packing.fillHistogram), 'packing.fillHistogram'), chunksSplit: sum(all.map((s) => s.packing.chunksSplit)) },
    tokensPerSample: mergeTokenHistograms(all.map((s) => s.tokensPerSample), 'tokensPerSample'),
    ...(textTps ? { textTokensPerSample: textTps } : {}),
    tilesPerImage: Object.fromEntries(Object.entries(sumMaps(all.map((s) => s.tilesPerImage))).sort(([a], [b]) => Number(a) - Number(b))),
    ...(imageSizes ? { imageSizes } : {}),
    mix: mergeMix(ranks),
    ...mergeVerdict(ranks, share),
  } as StatsJson;
}

type MergedStats = StatsJson & { imageSizes?: ImageSizes };

/** Token histograms added bucket by bucket; the mean weighted by each rank's samples, the max of the maxima. */
function mergeTokenHistograms(hs: (Histogram & { mean: number; max: number })[], what: string): Histogram & { mean: number; max: number } {
  const samples = hs.map((h) => sum(h.counts));
  const n = sum(samples);
  return { ...addHistograms(hs, what), mean: n ? sum(hs.map((h, i) => h.mean * samples[i])) / n : 0, max: Math.max(0, ...hs.map((h) => h.max)) };
}

/** Original image sizes of every rank: counts and histograms added, the mean pixels weighted by images. */
function mergeImageSizes(parts: (ImageSizes | undefined)[]): ImageSizes | undefined {
  const have = parts.filter((p): p is ImageSizes => p !== undefined);
  if (have.length === 0) return undefined;
  const count = sum(have.map((p) => p.count));
  const first = have[0];
  return {
    count,
    unknown: sum(have.map((p) => p.unknown)),
    meanPixels: count ? Math.round(sum(have.map((p) => p.meanPixels * p.count)) / count) : 0,
    width: addHistograms(have.map((p) => p.width), 'imageSizes.width'),
    height: addHistograms(have.map((p) => p.height), 'imageSizes.height'),
    aspect: { ...addHistograms(have.map((p) => p.aspect), 'imageSizes.aspect'), labels: first.aspect.labels },
  };
}

/**
 * The whole run's mix verdict, judged on the merged shares with the ranks' tolerance (one config, so one
 * tolerance): a source ran dry when it ran dry on any rank (at the tokens it had reached on those ranks,
 * summed); stoppedBy is the ranks' common reason, or each rank's when they differ.
 */
function mergeVerdict(ranks: { rank: number; stats: StatsJson }[], share: StatsJson['share']): { mixVerdict?: MixVerdict } {
  const verdicts = ranks.map((r) => r.stats.mixVerdict);
  if (verdicts.some((v) => !v)) return {};
  const first = verdicts[0]!;
  const dry = new Map<string, number>();
  for (const v of verdicts) for (const [name, s] of Object.entries(v!.sources)) if (s.ranDryAtTokens !== null) dry.set(name, (dry.get(name) ?? 0) + s.ranDryAtTokens);
  const reasons = [...new Set(verdicts.map((v) => v!.stoppedBy))];
  const stoppedBy = reasons.length === 1 ? reasons[0] : verdicts.map((v, i) => `rank ${ranks[i].rank}: ${v!.stoppedBy ?? 'an interruption'}`).join(', ');
  return { mixVerdict: judgeMix(share, { tolerance: first.tolerance, onExhausted: first.onExhausted, stoppedBy, ranDry: dry }) };
}

function sum(xs: number[]): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

function sumMaps(maps: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) out[k] = (out[k] ?? 0) + v;
  return sortKeys(out);
}

/** Bucket-wise sum. Log2 histograms grow with the data, so shorter bucket lists must be a prefix of the longest. */
function addHistograms(hs: Histogram[], what: string): Histogram {
  const longest = hs.reduce((a, h) => (h.edges.length > a.edges.length ? h : a), hs[0]);
  const counts = new Array<number>(longest.edges.length).fill(0);
  for (const h of hs) {
    if (h.edges.some((e, i) => e !== longest.edges[i])) {
      throw new ShardloomError('OUTPUT_CONFLICT', `${what}: ranks use different buckets ([${h.edges.join(', ')}] vs [${longest.edges.join(', ')}]) — were they built by different shardloom versions?`);
    }
    h.counts.forEach((c, i) => (counts[i] += c));
  }
  return { edges: [...longest.edges], counts };
}

interface MixReport { tokens: Record<string, number>; samples: Record<string, number>; epochs: Record<string, number>; exhausted: { source: string; atTokens: number }[]; stoppedBy: string | null }

/** The mixer's report per rank, joined: tokens and samples summed, epochs the most any rank went over its part. */
function mergeMix(ranks: { rank: number; stats: StatsJson }[]): unknown {
  const reports = ranks.map((r) => r.stats.mix as MixReport | null);
  if (reports.some((m) => !m || typeof m !== 'object' || !m.tokens)) return { ranks: ranks.map((r) => ({ rank: r.rank, mix: r.stats.mix })) };
  const epochs: Record<string, number> = {};
  for (const m of reports) for (const [k, v] of Object.entries(m!.epochs ?? {})) epochs[k] = Math.max(epochs[k] ?? 0, v);
  return {
    tokens: sumMaps(reports.map((m) => m!.tokens)),
    samples: sumMaps(reports.map((m) => m!.samples)),
    epochs: sortKeys(epochs),
    exhausted: ranks.flatMap((r, i) => (reports[i]!.exhausted ?? []).map((e) => ({ rank: r.rank, ...e }))),
    stoppedBy: ranks.map((r, i) => ({ rank: r.rank, stoppedBy: reports[i]!.stoppedBy })),
  };
}

/** Concatenate files (those that exist) into `dest`, streamed, each ending in a newline; written atomically. */
export async function concatFiles(files: string[], dest: string): Promise<void> {
  const tmp = dest + '.tmp';
  const out = createWriteStream(tmp);
  const failed = once(out, 'error').then(([e]) => { throw e; });
  failed.catch(() => undefined); // observed through the races below; never an unhandled rejection
  const write = async (b: Buffer | string) => {
    if (!out.write(b)) await Promise.race([once(out, 'drain'), failed]);
  };
  for (const f of files) {
    if (!existsSync(f)) continue;
    let last = 10;
    for await (const chunk of createReadStream(f) as AsyncIterable<Buffer>) {
      last = chunk[chunk.length - 1];
      await write(chunk);
    }
    if (last !== 10) await write('\n');
  }
  await Promise.race([new Promise<void>((res) => out.end(res)), failed]);
  await rename(tmp, dest);
}
