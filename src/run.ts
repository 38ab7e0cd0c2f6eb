/**
 * runPipeline: per source a chain of stages (read → count → media → tokenize → chunk → prefetch), the mixer
 * as the only fan-in (it builds the packed rows), the v2pe step, and the writer; plus index.json,
 * stats.json and rejects.jsonl. One StageContext (rank, seeded RNG, stats, rejects, logger, abort signal)
 * is built here and handed to every stage. Setup problems fail before any work; record problems become rejects.
 * A run can be interrupted at any point and resumed (see shards/journal.ts); the output is then
 * byte-identical to an uninterrupted run.
 */
import { join, resolve } from 'node:path';
import type { Document, Sample } from './core/model.js';
import { prefetchStage } from './core/concurrency.js';
import { chain, nothing, stageContext, type Stage } from './core/stage.js';
import { ShardloomError } from './core/errors.js';
import { createLogger, type Logger } from './core/log.js';
import { Rejects } from './core/rejects.js';
import { Stats } from './core/stats.js';
import { Progress } from './core/progress.js';
import type { ResolvedConfig } from './config/types.js';
import { outputDirOf, publicConfig } from './config/types.js';
import { keyLocation, loadConfig } from './config/load.js';
import { openSources, refuseUrls, type OpenSource } from './sources/open.js';
import { createCompute } from './compute/index.js';
import { tuneMalloc } from './core/malloc.js';
import { mediaStages } from './media/index.js';
import { runTokenizer, createTokenizerPool } from './tokenize/tokenizer.js';
import { tokenizeStage } from './tokenize/stage.js';
import { chunkStage } from './pack/chunk.js';
import { mixAndPack } from './mix/index.js';
import { v2peStage } from './pack/v2pe.js';
import { ShardWriter, type ShardRecord } from './shards/writer.js';
import { shardMetadata } from './shards/metadata.js';
import { FORMAT_VERSION, totalsOf, type IndexJson } from './shards/index-file.js';
import { RunStats } from './shards/run-stats.js';
import { isS3Output, localOutput, rankLocation, s3Output, type OutputTarget } from './shards/output.js';
import { resolveRank } from './scale/rank.js';
import { cpuBudget } from './core/cpus.js';
import { unsupportedUrl } from './core/locations.js';
import { checkSourceFields } from './sources/field-check.js';

export interface RunOptions {
  /** Output directory; overrides `output.dir` of the config. With world size > 1, ranks write to OUT/rank-RRRRR/. */
  out?: string;
  /** Replace an existing run in the output directory. */
  overwrite?: boolean;
  /** Continue an interrupted run: keep its verified shards, redo the rest. */
  resume?: boolean;
  rank?: number;
  worldSize?: number;
  log?: Logger;
  /** Show progress lines (default: true). */
  progress?: boolean;
  /** Abort the run (finished shards are kept, the partial one is discarded, the index marks the run incomplete). */
  signal?: AbortSignal;
  /** Environment to read rank variables from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** CPUs this rank may use; overrides `run.cpus` (default: detected from sched affinity and the cgroup quota, see core/cpus.ts). */
  cpus?: number;
  /**
   * A smoke run: only the first `limit` documents of each source (of this rank's inputs). The run's config hash
   * becomes `HASH-limitN` and index.json / stats.json say `limit: N`, so that merge, `validate --config` and
   * `--resume` never take it for the full run (a limited run resumes only with the same limit).
   */
  limit?: number;
  /**
   * Tune the C allocator for the run's large buffers (core/malloc.ts) — for a process the run owns: the CLI
   * sets it, a host that imports the library should not.
   */
  tuneAllocator?: boolean;
}

export interface RunResult {
  outDir: string;
  index: IndexJson;
  stats: ReturnType<RunStats['toJSON']>;
}

/** Samples held ahead of the mixer per source: at most this many, and at most this many bytes of tokens and tiles. */
const PREFETCH = { maxItems: 1024, maxWeight: 16 << 20, weight: sampleBytes };

function sampleBytes(s: Sample): number {
  let n = s.inputIds.byteLength;
  for (const im of s.images) for (const t of im.tiles) n += t.byteLength;
  return n;
}

export async function runPipeline(config: string | ResolvedConfig, opts: RunOptions = {}): Promise<RunResult> {
  const cfg = limitedConfig(typeof config === 'string' ? loadConfig(config) : config, opts.limit);
  const log = opts.log ?? createLogger();
  const { rank, worldSize } = resolveRank({ rank: opts.rank, worldSize: opts.worldSize }, opts.env ?? process.env);
  const { cpus, named } = checkRunSetup(cfg, opts);
  const signal = opts.signal ?? new AbortController().signal;

  // Setup: everything that can fail for a reason other than one record, before any work.
  if (opts.resume && opts.overwrite) throw new ShardloomError('USAGE', '--resume and --overwrite exclude each other');
  await checkSourceFields(cfg);
  const target = isS3Output(named) ? await s3Output(rankLocation(named, rank, worldSize), signal) : localOutput(rankLocation(resolve(opts.out ?? outputDirOf(cfg)), rank, worldSize));
  const outDir = target.location;
  try {
    return await runInto(target);
  } finally {
    await target.close();
  }

  async function runInto(target: OutputTarget): Promise<RunResult> {
    await target.prepare(cfg.configHash, !!opts.overwrite, !!opts.resume);
    let kept: ShardRecord[] = [];
    if (opts.resume) {
      const resumed = await target.resume();
      kept = resumed.kept;
      log.info(`resume: keeping ${kept.length} verified shard(s)${resumed.removed.length ? `, discarding ${resumed.removed.join(', ')}` : ''}`);
    }
    await target.writeJson('run.json', { configHash: cfg.configHash, name: cfg.name, seed: cfg.seed, rank, worldSize });
    const stats = new Stats();
    const ctx = stageContext({
      rank, worldSize, cpus: cpus.cpus, seed: cfg.seed, stats, log,
      rejects: new Rejects(stats, join(target.dir, 'rejects.jsonl'), cfg.run.maxConsecutiveRejects),
      signal,
    });
    const sources = await openSources(cfg, ctx);
    const { tokenizer, tokenizerConfig, eosId } = await runTokenizer(cfg, { log });
    const workers = cfg.tokenizer.workers || cpus.cpus;
    const inFlight = cfg.compute.concurrency || 2 * cpus.cpus;
    if (opts.tuneAllocator) log.info(tuneMalloc());
    log.info(`cpus: ${cpus.cpus} (${cpus.reason}) → ${poolSizes(cfg, sources, workers, inFlight, cpus.cpus)}`);
    const compute = sources.some((s) => s.kind !== 'text') ? await createCompute({ ...cfg.compute, concurrency: inFlight, threads: cpus.cpus }, log) : null;
    // A gpu backend gathers images into batches: enough documents in flight to fill two of them.
    const mediaConcurrency = cfg.compute.concurrency || (compute?.name === 'gpu' ? compute.batching.maxItems * compute.batching.maxInFlight : 0);
    const media = await mediaStages(cfg.sources, { images: cfg.images, packMaxTiles: cfg.pack.maxTiles, concurrency: mediaConcurrency, baseDir: cfg.baseDir }, compute);
    const pool = await createTokenizerPool(tokenizerConfig, workers, { log });
    log.info(
      `run "${cfg.name}" (config ${cfg.configHash}, seed ${cfg.seed}${worldSize > 1 ? `, rank ${rank}/${worldSize}` : ''}) → ${outDir}; ` +
        `tokenizer ${tokenizer.name}${tokenizer.fast ? ' (fast path)' : ''}${compute ? `; compute ${compute.name}` : ''}`,
    );

    const progress = new Progress({
      intervalS: cfg.run.progressInterval, enabled: opts.progress ?? true, totalTokens: cfg.mix.totalTokens,
      inputs: sources.map((s) => ({ source: s.name, units: s.units })),
    });
    const runStats = new RunStats({ sources: sources.map((s) => ({ name: s.name, weight: s.weight })), maxTokens: cfg.pack.maxTokens, ratioTolerance: cfg.validate.ratioTolerance, onExhausted: cfg.mix.onExhausted }, stats);
    const writer = new ShardWriter({
      dir: target.dir,
      prefix: 'part',
      formats: cfg.output.formats,
      maxRows: cfg.output.shardMaxRows,
      maxBytes: cfg.output.shardMaxBytes,
      rowGroupRows: cfg.output.rowGroupRows,
      compression: cfg.output.compression,
      thread: true,
      // Asked again for each shard: a gpu backend that fell back to the cpu says so from the next shard on.
      metadata: () => shardMetadata({ tokenizer, eosId, images: cfg.images, encoder: compute?.encoder, compute: compute?.description, configHash: cfg.configHash }),
      kept,
      onShard: async (rec, reused) => {
        progress.shards++;
        if (!reused) await target.commit(rec);
      },
    });

    // Each source's chain runs ahead of the mixer (bounded by its prefetch), so that reading, pixels and
    // tokenizing of every source overlap instead of advancing only while the mixer takes from that source.
    const chainOf = (src: OpenSource, repeat: boolean) => chain<Sample>([
      (): AsyncIterable<Document> => src.documents(repeat),
      countDocuments(src.name, progress, opts.limit),
      media[src.name],
      tokenizeStage(pool, { special: tokenizer.special, eosId }),
      chunkStage(cfg.pack),
      queueCount(src.name, progress, 'in'),
      prefetchStage(PREFETCH),
      queueCount(src.name, progress, 'out'),
    ]);
    // The mixer is the only fan-in: it builds the rows from every source's chain.
    // A cycled source is opened again for each pass; from the second on, its reads and rejects (the same
    // records again) are not recorded again — rejects.jsonl lists a bad record once, records.read counts the input.
    const passes = new Map<string, number>();
    const openPass = (src: OpenSource) => {
      const pass = (passes.get(src.name) ?? 0) + 1;
      passes.set(src.name, pass);
      return chainOf(src, pass > 1)(nothing(), pass > 1 ? { ...ctx, stats: ctx.stats.repeatPass(), rejects: ctx.rejects.repeatPass() } : ctx);
    };
    const mix = mixAndPack(sources.map((src) => ({ name: src.name, weight: src.weight, open: () => openPass(src) })), {
      seed: cfg.seed, totalTokens: cfg.mix.totalTokens ?? undefined, onExhausted: cfg.mix.onExhausted,
      maxTokens: cfg.pack.maxTokens, maxTiles: cfg.pack.maxTiles, strategy: cfg.pack.strategy,
      lookahead: Math.max(8, Math.ceil(cfg.pack.buffer / Math.max(1, sources.length))),
    });
    const rows = v2peStage(cfg.v2pe, tokenizer.special)(mix.rows, ctx);

    let complete = false;
    let failure: unknown = null;
    progress.start();
    try {
      for await (const row of rows) {
        if (ctx.signal.aborted) break;
        runStats.observeRow(row, progress);
        await writer.add(row);
      }
      if (ctx.signal.aborted) {
        const dropped = await writer.discard();
        log.warn(`interrupted: ${writer.shards.length} shard(s) finished and kept; ${dropped} row(s) of the unfinished shard discarded. Continue with --resume.`);
      } else {
        await writer.flush();
        await target.drain();
        complete = true;
      }
    } catch (e) {
      failure = e;
      await writer.discard().catch(() => undefined); // the unfinished shard never gets a final name
    } finally {
      runStats.setMixReport(mix.report);
      progress.stop();
      await pool.close();
      await compute?.close();
      await writer.close();
      await ctx.rejects.close().catch((e) => { failure ??= e; });
    }

    const index: IndexJson = {
      formatVersion: FORMAT_VERSION,
      name: cfg.name,
      configHash: cfg.configHash,
      complete,
      ...(failure ? { error: (failure as Error).message } : {}),
      rank,
      worldSize,
      tokenizer: { name: tokenizer.name, ...tokenizer.special, vocabSize: tokenizer.vocabSize, eos: eosId },
      targets: runStats.targets,
      shards: target.committed(writer.shards),
      totals: totalsOf(target.committed(writer.shards)),
      config: publicConfig(cfg),
      ...(opts.limit ? { limit: opts.limit } : {}),
    };
    const statsJson = { ...runStats.toJSON(), ...(opts.limit ? { limit: opts.limit } : {}) };
    if (failure) {
      // A run that failed (a write error, a broken source) still leaves an index marked incomplete when the disk
      // allows, listing only the verified shards; the journal has them either way, so --resume works.
      const saved = await (async () => {
        await target.publish('rejects.jsonl');
        await target.writeJson('stats.json', statsJson);
        await target.writeJson('index.json', index); // last: a reader that sees index.json sees what it lists
      })().then(() => true, () => false);
      throw failureWithAdvice(failure, outDir, index.shards.length, saved);
    }
    await target.publish('rejects.jsonl');
    await target.writeJson('stats.json', statsJson);
    await target.writeJson('index.json', index);
    if (complete) log.info(`done: ${index.totals.shards} shards, ${index.totals.rows} rows, ${index.totals.tokens} tokens, ${stats.get('rejects')} rejects → ${outDir}`);
    return { outDir, index, stats: statsJson };
  }
}

/**
 * What a run (and a dry run) decides before anything else: the CPU budget — once per run, every pool is sized
 * from the CPUs this process was given, not from the node — and the output it names, refused up front when its
 * scheme is not one shardloom writes (or an input's is not one it reads).
 */
export function checkRunSetup(cfg: ResolvedConfig, opts: Pick<RunOptions, 'cpus' | 'out'>): { cpus: ReturnType<typeof cpuBudget>; named: string } {
  const setting = opts.cpus !== undefined ? { cpus: opts.cpus, from: '--cpus' } : cfg.run.cpus !== undefined ? { cpus: cfg.run.cpus, from: 'run.cpus' } : undefined;
  const cpus = cpuBudget({ setting });
  refuseUrls(cfg);
  const named = opts.out ?? cfg.output.dir;
  const outWhy = isS3Output(named) ? null : unsupportedUrl(named, 'outputs');
  if (outWhy) throw opts.out !== undefined ? new ShardloomError('USAGE', `--out ${outWhy}`) : new ShardloomError('CONFIG_INVALID', `${keyLocation(cfg, ['output', 'dir'])}: output.dir: ${outWhy}`);
  return { cpus, named };
}

/** The error a failed run ends with: what happened, what was kept, and what to do next. */
function failureWithAdvice(e: unknown, outDir: string, kept: number, indexWritten: boolean): unknown {
  if (!(e instanceof ShardloomError) || e.code !== 'OUTPUT_WRITE') return e;
  const index = indexWritten ? 'index.json marks the run incomplete' : 'index.json could not be written either (the journal progress.jsonl still lists them)';
  return new ShardloomError(
    'OUTPUT_WRITE',
    `${e.message}\n${kept} finished shard(s) are kept in ${outDir}; ${index}. Free space (or fix the output) and run the same command with --resume: the kept shards are verified and not rewritten.`,
    { cause: e },
  );
}

/** The pool sizes a run chose, for its log line (and `run --dry-run`); an explicit setting is named. */
export function poolSizes(cfg: ResolvedConfig, sources: Pick<OpenSource, 'kind'>[], workers: number, inFlight: number, cpus: number): string {
  const sizes = [`tokenizer workers ${workers}${cfg.tokenizer.workers ? ' (tokenizer.workers)' : ''}`];
  if (sources.some((s) => s.kind !== 'text')) sizes.push(`image tiling concurrency ${inFlight}${cfg.compute.concurrency ? ' (compute.concurrency)' : ''}`);
  if (sources.some((s) => s.kind === 'video')) sizes.push(`video clips in flight ${cpus}`);
  return sizes.join(', ');
}

/** Count documents as they are read: progress, stats, and the reject-run breaker; with `limit`, stop after that many. */
function countDocuments(source: string, progress: Progress, limit?: number): Stage<Document, Document> {
  return async function* count(docs, ctx) {
    let n = 0;
    for await (const d of docs) {
      progress.record(d.provenance);
      ctx.stats.incSource(source, 'documents');
      ctx.rejects.ok(source);
      yield d;
      if (++n === limit) return; // closes the reader: nothing after the limit is read
    }
  };
}

/** `--limit N`: the same config under its own hash, so that a smoke run never passes for the full one. */
export function limitedConfig(cfg: ResolvedConfig, limit: number | undefined): ResolvedConfig {
  if (limit === undefined) return cfg;
  if (!Number.isInteger(limit) || limit < 1) throw new ShardloomError('USAGE', `Expected --limit to be a whole number ≥ 1 but received ${limit}`);
  return { ...cfg, configHash: `${cfg.configHash}-limit${limit}` };
}

/** Count samples into and out of the queue in front of the mixer: the progress line's queue depths and input done. */
function queueCount(source: string, progress: Progress, side: 'in' | 'out'): Stage<Sample, Sample> {
  return async function* queue(samples) {
    for await (const s of samples) {
      if (side === 'in') progress.queued(s);
      else progress.dequeued(s);
      yield s;
    }
    if (side === 'out') progress.sourceDone(source);
  };
}
