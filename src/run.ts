/**
 * runPipeline: sources → documents → media → tokenize → mix → pack → write, plus index.json,
 * stats.json and rejects.jsonl. Setup problems fail before any work; record problems become rejects.
 * A run can be interrupted at any point and resumed (see shards/journal.ts); the output is then
 * byte-identical to an uninterrupted run.
 */
import { join, resolve } from 'node:path';
import type { Document, MediaDocument, Sample } from './core/model.js';
import { prefetch } from './core/concurrency.js';
import type { ResolvedConfig } from './config/types.js';
import { outputDirOf, publicConfig } from './config/types.js';
import { keyLocation, loadConfig } from './config/load.js';
import { ShardloomError } from './core/errors.js';
import { createLogger, type Logger } from './core/log.js';
import { Rejects } from './core/rejects.js';
import { Stats } from './core/stats.js';
import { rngFor } from './core/rng.js';
import { Progress } from './core/progress.js';
import { openSources, type OpenSource } from './sources/open.js';
import { loadTokenizer, createTokenizerPool, type Tokenizer, type TokenizerConfig } from './tokenize/tokenizer.js';
import { tokenizeDocuments } from './tokenize/stage.js';
import { mixAndPack } from './mix/index.js';
import { chunkSamples } from './pack/chunk.js';
import { ShardWriter } from './shards/writer.js';
import { FORMAT_VERSION, totalsOf, writeJson, type IndexJson } from './shards/index-file.js';
import { RunStats } from './shards/run-stats.js';
import { METADATA_KEY } from './shards/parquet-io.js';
import { sortKeys } from './shards/writer.js';
import { prepareOutput } from './shards/output-dir.js';
import { appendJournal, removeUnverified, verifiedShards } from './shards/journal.js';
import { resolveRank } from './scale/rank.js';
import { createCompute, type ComputeBackend } from './compute/index.js';
import { createMediaStages } from './media/index.js';

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
  const cfg = typeof config === 'string' ? loadConfig(config) : config;
  const log = opts.log ?? createLogger();
  const { rank, worldSize } = resolveRank({ rank: opts.rank, worldSize: opts.worldSize }, opts.env ?? process.env);
  const root = resolve(opts.out ?? outputDirOf(cfg));
  const outDir = worldSize > 1 ? join(root, `rank-${String(rank).padStart(5, '0')}`) : root;
  const signal = opts.signal ?? new AbortController().signal;

  // Setup: everything that can fail for a reason other than one record, before any work.
  if (opts.resume && opts.overwrite) throw new ShardloomError('USAGE', '--resume and --overwrite exclude each other');
  await prepareOutput(outDir, cfg.configHash, !!opts.overwrite, !!opts.resume);
  const kept = opts.resume ? await verifiedShards(outDir) : [];
  if (opts.resume) {
    const removed = await removeUnverified(outDir, kept);
    log.info(`resume: keeping ${kept.length} verified shard(s)${removed.length ? `, discarding ${removed.join(', ')}` : ''}`);
  }
  await writeJson(join(outDir, 'run.json'), { configHash: cfg.configHash, name: cfg.name, seed: cfg.seed, rank, worldSize });
  const stats = new Stats();
  const rejects = new Rejects(stats, join(outDir, 'rejects.jsonl'), cfg.run.maxConsecutiveRejects);
  const sources = await openSources(cfg, { rank, worldSize, rejects, signal, log, stats });
  const tokCfg: TokenizerConfig = { name: cfg.tokenizer.name, path: cfg.tokenizer.path ? resolve(cfg.baseDir, cfg.tokenizer.path) : undefined, fast: cfg.tokenizer.fast };
  const tokenizer = await loadTokenizer(tokCfg);
  const eosId = eosIdOf(tokenizer, cfg.tokenizer.eos);
  checkExpectedIds(cfg, tokenizer, eosId);
  const needsPixels = sources.some((s) => s.kind !== 'text');
  const compute: ComputeBackend | null = needsPixels ? await createCompute({ backend: cfg.compute.backend, concurrency: cfg.compute.concurrency }, log) : null;
  const media = await createMediaStages(cfg, { compute, rejects, stats });
  const pool = await createTokenizerPool(tokCfg, cfg.tokenizer.workers);
  log.info(
    `run "${cfg.name}" (config ${cfg.configHash}, seed ${cfg.seed}${worldSize > 1 ? `, rank ${rank}/${worldSize}` : ''}) → ${outDir}; ` +
      `tokenizer ${tokenizer.name}${tokenizer.fast ? ' (fast path)' : ''}${compute ? `; compute ${compute.name}` : ''}`,
  );

  const progress = new Progress(cfg.run.progressInterval, process.stderr, opts.progress ?? true);
  const runStats = new RunStats(cfg, stats);
  const writer = new ShardWriter({
    dir: outDir,
    prefix: 'part',
    formats: cfg.output.formats,
    maxRows: cfg.output.shardMaxRows,
    maxBytes: cfg.output.shardMaxBytes,
    rowGroupRows: cfg.output.rowGroupRows,
    compression: cfg.output.compression,
    metadata: shardMetadata(cfg, tokenizer, eosId, compute),
    special: tokenizer.special,
    stride: cfg.v2pe.stride,
    rng: rngFor(cfg.seed, `v2pe/${rank}`),
    kept,
    onShard: async (rec, reused) => {
      progress.shards++;
      if (!reused) await appendJournal(outDir, rec);
    },
  });

  let complete = false;
  let failure: unknown = null;
  const mix = mixAndPack(
    sources.map((src) => ({ name: src.name, weight: src.weight, open: samplesOf(src) })),
    {
      seed: cfg.seed, totalTokens: cfg.mix.totalTokens ?? undefined, onExhausted: cfg.mix.onExhausted,
      maxTokens: cfg.pack.maxTokens, maxTiles: cfg.pack.maxTiles, strategy: cfg.pack.strategy,
      lookahead: Math.max(8, Math.ceil(cfg.pack.buffer / Math.max(1, sources.length))),
    },
  );
  // Each source's chain (read → media → tokenize → chunk) runs ahead of the mixer (bounded), so that reading,
  // pixels and tokenizing of every source overlap instead of advancing only while the mixer takes from it.
  function samplesOf(src: OpenSource) {
    return () => {
      const docs = counted(src.documents(), src.name, progress, rejects, stats);
      const samples = tokenizeDocuments(media[src.name](docs), pool, { special: tokenizer.special, eosId });
      const chunks = chunkSamples(samples, cfg.pack, (sample, reason, detail) => rejects.reject({ ...sample.provenance, reason, detail }));
      return prefetch(chunks, PREFETCH);
    };
  }
  progress.start();
  try {
    for await (const row of mix.rows) {
      if (signal.aborted) break;
      runStats.observeRow(row, progress);
      await writer.add(row);
    }
    if (signal.aborted) {
      const dropped = await writer.discard();
      log.warn(`interrupted: ${writer.shards.length} shard(s) finished and kept; ${dropped} row(s) of the unfinished shard discarded. Continue with --resume.`);
    } else {
      await writer.flush();
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
    await rejects.close().catch((e) => { failure ??= e; });
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
    shards: writer.shards,
    totals: totalsOf(writer.shards),
    config: publicConfig(cfg),
  };
  const statsJson = runStats.toJSON();
  if (failure) {
    // A run that failed (a write error, a broken source) still leaves an index marked incomplete when the disk
    // allows, listing only the verified shards; the journal has them either way, so --resume works.
    const saved = await Promise.all([writeJson(join(outDir, 'stats.json'), statsJson), writeJson(join(outDir, 'index.json'), index)]).then(() => true, () => false);
    throw failureWithAdvice(failure, outDir, writer.shards.length, saved);
  }
  await writeJson(join(outDir, 'stats.json'), statsJson);
  await writeJson(join(outDir, 'index.json'), index);
  if (complete) log.info(`done: ${index.totals.shards} shards, ${index.totals.rows} rows, ${index.totals.tokens} tokens, ${stats.get('rejects')} rejects → ${outDir}`);
  return { outDir, index, stats: statsJson };
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

/** A tokenizer whose ids differ from `tokenizer.expect` would train the checkpoint on wrong ids: stop before any work. */
export function checkExpectedIds(cfg: ResolvedConfig, tok: Tokenizer, eosId: number | null): void {
  const expect = cfg.tokenizer.expect;
  if (!expect) return;
  const actual: Record<string, number | null> = { ...tok.special, eos: eosId, vocabSize: tok.vocabSize };
  const wrong = (Object.keys(expect) as (keyof typeof expect)[]).filter((k) => expect[k] !== undefined && expect[k] !== actual[k]);
  if (wrong.length === 0) return;
  const what = wrong.map((k) => `tokenizer.expect.${k}: expected ${expect[k]} but tokenizer ${tok.name} gives ${actual[k]}`);
  throw new ShardloomError(
    'CONFIG_INVALID',
    `${keyLocation(cfg, ['tokenizer', 'expect', wrong[0]])}: the tokenizer's ids differ from the ids the checkpoint expects:\n  ${what.join('\n  ')}\n` +
      `(InternVL3 checkpoints use tokenizer.name: internvl3 — <img> 151665, </img> 151666, <IMG_CONTEXT> 151667; qwen3 puts them at 151669+.)`,
  );
}

function eosIdOf(tok: Tokenizer, eos: string | null): number | null {
  if (eos === null) return null;
  const ids = tok.encodeWithSpecial(eos);
  if (ids.length !== 1) throw new ShardloomError('CONFIG_INVALID', `tokenizer.eos: "${eos}" is not a single token in ${tok.name} (it encodes to ${ids.length} ids)`);
  return ids[0];
}

/**
 * The shard's file metadata: ONE key `shardloom` holding a JSON object with sorted keys (see
 * shards/parquet-io.ts for why one key); ids and sizes are JSON numbers, so a loader needs no parsing.
 */
export function shardMetadata(cfg: ResolvedConfig, tok: Tokenizer, eosId: number | null, compute?: ComputeBackend | null): Record<string, string> {
  const md: Record<string, string | number | null> = {
    format_version: FORMAT_VERSION,
    tokenizer: tok.name,
    vocab_size: tok.vocabSize,
    img_start_id: tok.special.imgStart,
    img_end_id: tok.special.imgEnd,
    img_context_id: tok.special.imgContext,
    eos_id: eosId,
    tile_size: cfg.images.tileSize,
    tile_encoding: cfg.images.encoding,
    ...(compute && cfg.images.encoding === 'jpeg' ? { tile_encoder: compute.encoder } : {}),
    config_hash: cfg.configHash,
  };
  return { [METADATA_KEY]: JSON.stringify(sortKeys(md)) };
}

/** Count documents as they are read: progress, stats, and the reject-run breaker. */
async function* counted(docs: AsyncIterable<Document>, source: string, progress: Progress, rejects: Rejects, stats: Stats): AsyncGenerator<Document> {
  for await (const d of docs) {
    progress.record(d.provenance);
    stats.incSource(source, 'documents');
    rejects.ok(source);
    yield d;
  }
}

export type { MediaDocument };
