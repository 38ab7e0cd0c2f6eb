/**
 * The config after validation: the schema's defaults are filled, so sections and their keys are present.
 * The shapes come from the schema (types.gen.ts is generated from it); only "what is required after
 * defaults" is said here.
 */
import { resolve } from 'node:path';
import type {
  PipelineConfig, Output, Tokenizer, Mix, Pack, V2Pe, Images, Compute, Run, Validate,
  TextSource as TextSourceIn, CaptionSource as CaptionSourceIn, InterleavedSource as InterleavedSourceIn, VideoSource as VideoSourceIn, ImageStore as ImageStoreIn,
} from './types.gen.js';

type Filled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
/** `T` with the keys `K` (those the schema gives a default) present. */
type Defaulted<T, K extends keyof T> = Omit<T, K> & Filled<Pick<T, K>>;

// Each source kind after load: every key with a default in the schema is present (tested against the
// schema in test/config/load.test.ts); keys without a default (idField, imageStore, a store's path …) stay optional.
export type TextSource = Defaulted<TextSourceIn, 'weight' | 'format' | 'field' | 'maxDocumentBytes'>;
export type CaptionSource = Defaulted<CaptionSourceIn, 'weight' | 'format' | 'imageField' | 'captionField'>;
export type ImageStore = Defaulted<ImageStoreIn, 'keyBy' | 'concurrency' | 'timeoutSeconds' | 'retries'>;
export type InterleavedSource = Defaulted<Omit<InterleavedSourceIn, 'imageStore'>, 'weight' | 'format' | 'onMissingImage' | 'maxImagesPerDoc' | 'tooManyImages' | 'minSimilarity' | 'dedupImages' | 'field'> & {
  imageStore?: ImageStore;
  field: Filled<NonNullable<InterleavedSourceIn['field']>>;
};
export type VideoSource = Defaulted<VideoSourceIn, 'weight' | 'format' | 'minFrames' | 'maxFrames' | 'sample' | 'dropRepeatedFrames' | 'timeoutSeconds'>;
export type Source = TextSource | CaptionSource | InterleavedSource | VideoSource;

export type { PipelineConfig };

export interface ResolvedConfig {
  name: string;
  seed: number;
  output: Filled<Output>;
  tokenizer: Filled<Omit<Tokenizer, 'path' | 'expect'>> & Pick<Tokenizer, 'path' | 'expect'>;
  sources: Source[];
  mix: Filled<Omit<Mix, 'totalTokens'>> & { totalTokens: number | null };
  pack: Filled<Pack>;
  v2pe: Filled<V2Pe>;
  images: Filled<Images>;
  compute: Filled<Compute>;
  /** `cpus` has no default: absent, the run detects its CPUs (core/cpus.ts). */
  run: Filled<Omit<Run, 'cpus'>> & Pick<Run, 'cpus'>;
  validate: Filled<Validate>;
  /** Absolute path of the YAML file. */
  configPath: string;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  /** Hash of the resolved settings; shards of different configs never mix. */
  configHash: string;
}

/** Where the run writes: an absolute `output.dir` as written, a relative one relative to the config file. */
export function outputDirOf(cfg: ResolvedConfig): string {
  return resolve(cfg.baseDir, cfg.output.dir);
}

/** The part of a resolved config that is written into index.json (no machine-specific paths). */
export function publicConfig(cfg: ResolvedConfig): Omit<ResolvedConfig, 'configPath' | 'baseDir'> {
  const { configPath: _p, baseDir: _b, ...rest } = cfg;
  return rest;
}
