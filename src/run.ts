/**
 * runPipeline: sources → documents → media → tokenize → mix → pack → write, plus index.json,
 * stats.json and rejects.jsonl. Setup problems fail before any work; record problems become rejects.
 * A run can be interrupted at any point and resumed (see shards/journal.ts); the output is then
 * byte-identical to an uninterrupted run.
 */
import { join, resolve } from 'node:path';
import type { Document, MediaDocument, PackedRow, Sample } from './model.js';
import { prefetch } from './concurrency.js';
import type { ResolvedConfig } from './config/types.js';
import { publicConfig } from './config/types.js';
import { loadConfig } from './config/load.js';
import { ShardloomError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { Rejects } from './rejects.js';
import { Stats } from './stats.js';
import { rngFor } from './rng.js';
import { Progress } from './progress.js';
import { openSources, type OpenSource } from './sources/open.js';
import { loadTokenizer, createTokenizerPool, type Tokenizer, type TokenizerConfig } from './tokenize/index.js';
import { tokenizeDocuments } from './tokenize/sample.js';
import { mixByTokens } from './mix/index.js';
import { packSamples } from './pack/strategy.js';
import { ShardWriter } from './shards/writer.js';
import { FORMAT_VERSION, totalsOf, writeJson, type IndexJson } from './shards/index-file.js';
import { RunStats } from './run-stats.js';
import { prepareOutput } from './shards/output-dir.js';
import { appendJournal, removeUnverified, verifiedShards } from './shards/journal.js';
import { resolveRank } from './scale/rank.js';
import { createCompute, type ComputeBackend } from './compute/index.js';
import { createMediaStages } from './media/policies.js';

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
  const root = resolve(opts.out ?? join(cfg.baseDir, cfg.output.dir));
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
    metadata: shardMetadata(cfg, tokenizer, compute),
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
  progress.start();
  try {
    // Each source's pipeline runs ahead of the mixer (bounded), so that reading, pixels and tokenizing of
    // every source overlap instead of advancing only while the mixer pulls from that source.
    const samplesOf = (src: OpenSource) => () =>
      prefetch(tokenizeDocuments(media[src.name](counted(src.documents(), src.name, progress, rejects, stats)), pool, { special: tokenizer.special, eosId }), PREFETCH);
    const mixed = mixByTokens(
      sources.map((s) => ({ name: s.name, weight: s.weight, open: samplesOf(s) })),
      { seed: cfg.seed, totalTokens: cfg.mix.totalTokens ?? undefined, onExhausted: cfg.mix.onExhausted },
    );
    const observed = runStats.observeSamples(mixed.samples, progress);
    const packed = packSamples(observed, cfg.pack, (sample, reason, detail) => rejects.reject({ ...sample.provenance, reason, detail }));
    for await (const row of packed as AsyncIterable<PackedRow>) {
      if (signal.aborted) break;
      runStats.observeRow(row);
      progress.rows++;
      await writer.add(row);
    }
    if (signal.aborted) {
      const dropped = await writer.discard();
      log.warn(`interrupted: ${writer.shards.length} shard(s) finished and kept; ${dropped} row(s) of the unfinished shard discarded. Continue with --resume.`);
    } else {
      await writer.flush();
      complete = true;
    }
    runStats.setMixReport(mixed.report);
  } finally {
    progress.stop();
    await pool.close();
    await compute?.close();
    await rejects.close();
  }

  const index: IndexJson = {
    formatVersion: FORMAT_VERSION,
    name: cfg.name,
    configHash: cfg.configHash,
    complete,
    rank,
    worldSize,
    tokenizer: { name: tokenizer.name, ...tokenizer.special, vocabSize: tokenizer.vocabSize },
    targets: runStats.targets,
    shards: writer.shards,
    totals: totalsOf(writer.shards),
    config: publicConfig(cfg),
  };
  const statsJson = runStats.toJSON();
  await writeJson(join(outDir, 'stats.json'), statsJson);
  await writeJson(join(outDir, 'index.json'), index);
  if (complete) log.info(`done: ${index.totals.shards} shards, ${index.totals.rows} rows, ${index.totals.tokens} tokens, ${stats.get('rejects')} rejects → ${outDir}`);
  return { outDir, index, stats: statsJson };
}

function eosIdOf(tok: Tokenizer, eos: string | null): number | null {
  if (eos === null) return null;
  const ids = tok.encodeWithSpecial(eos);
  if (ids.length !== 1) throw new ShardloomError('CONFIG_INVALID', `tokenizer.eos: "${eos}" is not a single token in ${tok.name} (it encodes to ${ids.length} ids)`);
  return ids[0];
}

export function shardMetadata(cfg: ResolvedConfig, tok: Tokenizer, compute?: ComputeBackend | null): Record<string, string> {
  return {
    'shardloom.format_version': FORMAT_VERSION,
    'shardloom.tokenizer': tok.name,
    'shardloom.img_start_id': String(tok.special.imgStart),
    'shardloom.img_end_id': String(tok.special.imgEnd),
    'shardloom.img_context_id': String(tok.special.imgContext),
    'shardloom.tile_size': String(cfg.images.tileSize),
    'shardloom.tile_encoding': cfg.images.encoding,
    ...(compute && cfg.images.encoding === 'jpeg' ? { 'shardloom.tile_encoder': compute.encoder } : {}),
    'shardloom.config_hash': cfg.configHash,
  };
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
