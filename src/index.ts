/**
 * shardloom's library API: the same operations as the command line, typed — and the stages a run is made
 * of, for composing a pipeline of your own. Nothing else is exported (test/api.test.ts pins the list).
 *
 *   import { runPipeline, loadConfig, readShards, validateRun, planTiles } from 'shardloom';
 */
// Running and checking a pipeline.
export { runPipeline, type RunOptions, type RunResult } from './run.js';
export { loadConfig, parseConfig, pipelineSchema, configHash } from './config/load.js';
export type { ResolvedConfig, PipelineConfig, Source, TextSource, CaptionSource, InterleavedSource, VideoSource } from './config/types.js';
export { ShardloomError, type ErrorCode } from './core/errors.js';
export { validateRun, type ValidationReport, type ValidationFailure } from './shards/validate.js';
export { formatMixVerdict } from './shards/run-stats.js';

// Reading shards.
export { readShardRows, readShardRows as readShards, readShardMetadata, type ReadRow } from './shards/parquet-io.js';
export { shardSchema, type ShardRow } from './shards/arrow-table.js';
export type { IndexJson, StatsJson, MixVerdict } from './shards/index-file.js';

// Many machines.
export { resolveRank } from './scale/rank.js';
export { mergeRuns, mergeStats, type MergeResult, type MergedIndexJson } from './scale/merge.js';
export { planJob, type PlanOptions, type Plan } from './scale/plan.js';

// The document model and the stage contract.
export type { Document, Segment, ImageRef, MediaDocument, Sample, SampleImage, PackedRow, PositionedRow, TileGrid, TiledImage, TiledVideo, SpecialIds, Provenance } from './core/model.js';
export { TOKENS_PER_TILE, TILE_SIZE } from './core/model.js';
export { chain, stageContext, type Stage, type StageContext } from './core/stage.js';
export type { RejectRecord } from './core/rejects.js';

// The stages and what they are built from, in the order data flows.
export { openSources, type OpenSource } from './sources/open.js';
export { mediaStages, type MediaConfig } from './media/index.js';
export { planTiles, perImageMaxTiles, type TilePlan } from './media/tiling.js';
export { createCompute, type ComputeBackend } from './compute/index.js';
export { createImageStore, type ImageStore } from './media/image-store.js';
export { loadTokenizer, createTokenizerPool, type Tokenizer, type TokenizerConfig } from './tokenize/tokenizer.js';
export { tokenizeStage } from './tokenize/stage.js';
export { chunkStage, chunkSample } from './pack/chunk.js';
export { mixAndPack, mixByTokens, type MixSource, type MixReport, type MixOptions } from './mix/index.js';
export { packSamples, type PackOptions } from './pack/strategy.js';
export { v2peStage, v2pePositions } from './pack/v2pe.js';
