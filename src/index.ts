/**
 * shardloom's library API: the same operations as the command line, typed.
 *
 *   import { runPipeline, loadConfig, readShards, validateRun, planTiles } from 'shardloom';
 */
export { runPipeline, type RunOptions, type RunResult } from './run.js';
export { loadConfig, parseConfig, pipelineSchema, configHash } from './config/load.js';
export type { ResolvedConfig, PipelineConfig, Source, TextSource, CaptionSource, InterleavedSource, VideoSource } from './config/types.js';
export { ShardloomError, type ErrorCode } from './core/errors.js';
export type { Document, Segment, ImageRef, MediaDocument, Sample, SampleImage, PackedRow, TileGrid, TiledImage, TiledVideo, SpecialIds, Provenance } from './core/model.js';
export { TOKENS_PER_TILE, TILE_SIZE } from './core/model.js';
export type { Stage, StageContext } from './core/stage.js';
export type { RejectRecord } from './core/rejects.js';

// Stages, usable on their own.
export { openSources, type OpenSource } from './sources/open.js';
export { planTiles, perImageMaxTiles, type TilePlan } from './media/tiling.js';
export { createCompute, type ComputeBackend } from './compute/index.js';
export { createImageStore, type ImageStore } from './media/image-store.js';
export { loadTokenizer, createTokenizerPool, type Tokenizer, type TokenizerConfig } from './tokenize/tokenizer.js';
export { tokenizeDocuments, assembleSample } from './tokenize/stage.js';
export { mixByTokens, mixAndPack, type MixSource, type MixReport, type MixOptions } from './mix/index.js';
export { formatMixVerdict } from './shards/run-stats.js';
export { packSamples, type PackOptions } from './pack/strategy.js';
export { chunkSample } from './pack/chunk.js';
export { v2pePositions, drawV2peDelta } from './pack/v2pe.js';

// Shards.
export { readShardRows, readShardRows as readShards, readShardMetadata, type ReadRow } from './shards/parquet-io.js';
export { shardSchema, rowsToTable, type ShardRow } from './shards/arrow-table.js';
export { validateRun, type ValidationReport, type ValidationFailure } from './shards/validate.js';
export type { IndexJson, StatsJson } from './shards/index-file.js';
export { resolveRank } from './scale/rank.js';
export { mergeRuns, mergeStats, type MergeResult, type MergedIndexJson } from './scale/merge.js';
export { planJob, type PlanOptions, type Plan } from './scale/plan.js';
