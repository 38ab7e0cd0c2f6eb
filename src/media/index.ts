/**
 * The media family's factory: one stage per source, built from that source's config and the images
 * slice. Text sources pass through; caption pairs need their one image (else reject); interleaved
 * documents follow their image policy; video clips go to the video stage. Rejects, counters and the seed
 * come from the run's StageContext.
 */
import { resolve } from 'node:path';
import type { Document, MediaDocument } from '../core/model.js';
import type { ResolvedConfig, Source } from '../config/types.js';
import type { Stage } from '../core/stage.js';
import type { ComputeBackend } from '../compute/index.js';
import { createImageStore } from './image-store.js';
import { mediaStage, type MediaPolicy } from './stage.js';
import { videoStage } from './video-stage.js';
import { ShardloomError } from '../core/errors.js';

export type MediaStage = Stage<Document, MediaDocument>;

export interface MediaConfig {
  images: ResolvedConfig['images'];
  /** Tiles one packed sequence may hold: a document must fit it. */
  packMaxTiles: number;
  /** Images in flight (0: 2 per CPU of the run's budget, `ctx.cpus`). */
  concurrency: number;
  /** Relative image-store paths are resolved against it. */
  baseDir: string;
}

export async function mediaStages(sources: Source[], cfg: MediaConfig, compute: ComputeBackend | null): Promise<Record<string, MediaStage>> {
  const out: Record<string, MediaStage> = {};
  for (const [i, src] of sources.entries()) {
    if (src.kind === 'video') {
      const source = src;
      if (!compute) throw new ShardloomError('COMPUTE_BACKEND', `sources[${i}] "${src.name}": video frames need a compute backend`);
      out[src.name] = (docs, ctx) =>
        videoStage(docs, { source, seed: ctx.seed, compute, tileSize: cfg.images.tileSize, encoding: cfg.images.encoding, quality: cfg.images.quality, concurrency: Math.max(1, ctx.cpus), rejects: ctx.rejects, stats: ctx.stats });
      continue;
    }
    const policy = await policyOf(src, cfg, i);
    if (!policy || !compute) {
      out[src.name] = (docs) => docs as AsyncIterable<MediaDocument>;
      continue;
    }
    // dedupImages: the content hashes seen so far in this pass over this source — one set per pass (a cycled
    // source's next pass keeps its images) and per source, because sources are read side by side: which of two
    // sources met an image first depends on timing, and shards must not.
    out[src.name] = (docs, ctx) =>
      mediaStage(docs, { compute, images: cfg.images, packMaxTiles: cfg.packMaxTiles, concurrency: cfg.concurrency || 2 * ctx.cpus, rejects: ctx.rejects, stats: ctx.stats, policy, seen: new Set<string>() });
  }
  return out;
}

async function policyOf(src: Source, cfg: MediaConfig, i: number): Promise<MediaPolicy | null> {
  if (src.kind === 'text') return null;
  if (src.kind === 'caption') return { onImageError: 'reject', maxImages: 1, tooMany: 'reject', dedup: false };
  if (src.kind !== 'interleaved') return null;
  let store;
  if (src.imageStore) {
    const s = src.imageStore;
    const at = (p?: string) => p && (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : resolve(cfg.baseDir, p)); // URLs (s3://) as written
    try {
      store = await createImageStore({ ...s, path: at(s.path), manifest: at(s.manifest), cacheDir: at(s.cacheDir) }, cfg.images.maxBytes);
    } catch (e) {
      throw new ShardloomError('CONFIG_INVALID', `sources[${i}].imageStore: ${(e as Error).message}`, { cause: e });
    }
  }
  return { store, onImageError: src.onMissingImage, maxImages: src.maxImagesPerDoc, tooMany: src.tooManyImages, dedup: src.dedupImages };
}
