/**
 * Per-source media handling: which sources need pixel work, and with which policy. Text sources pass
 * through; caption pairs need their one image (else reject); interleaved documents follow their config.
 */
import { resolve } from 'node:path';
import { cpus } from 'node:os';
import type { Document, MediaDocument } from '../core/model.js';
import type { ResolvedConfig, Source } from '../config/types.js';
import type { Rejects } from '../core/rejects.js';
import type { Stats } from '../core/stats.js';
import type { ComputeBackend } from '../compute/index.js';
import { createImageStore } from './image-store.js';
import { mediaStage, type MediaPolicy } from './stage.js';
import { videoStage } from './video-stage.js';
import { ShardloomError } from '../core/errors.js';

export type MediaFn = (docs: AsyncIterable<Document>) => AsyncIterable<MediaDocument>;

export async function createMediaStages(cfg: ResolvedConfig, ctx: { compute: ComputeBackend | null; rejects: Rejects; stats: Stats }): Promise<Record<string, MediaFn>> {
  const out: Record<string, MediaFn> = {};
  const seen = new Set<string>();
  const concurrency = cfg.compute.concurrency || 2 * cpus().length;
  for (const [i, src] of cfg.sources.entries()) {
    if (src.kind === 'video') {
      const source = src;
      out[src.name] = (docs) =>
        videoStage(docs, { source, seed: cfg.seed, encoding: cfg.images.encoding, quality: cfg.images.quality, concurrency: Math.max(1, cpus().length), rejects: ctx.rejects, stats: ctx.stats });
      continue;
    }
    const policy = await policyOf(src, cfg, i);
    if (!policy || !ctx.compute) {
      out[src.name] = (docs) => docs as AsyncIterable<MediaDocument>;
      continue;
    }
    const compute = ctx.compute;
    out[src.name] = (docs) =>
      mediaStage(docs, { compute, images: cfg.images, packMaxTiles: cfg.pack.maxTiles, concurrency, rejects: ctx.rejects, stats: ctx.stats, policy, seen });
  }
  return out;
}

async function policyOf(src: Source, cfg: ResolvedConfig, i: number): Promise<MediaPolicy | null> {
  if (src.kind === 'text') return null;
  if (src.kind === 'caption') return { onImageError: 'reject', maxImages: 1, tooMany: 'reject', dedup: false };
  if (src.kind === 'interleaved') {
    let store;
    if (src.imageStore) {
      const s = src.imageStore;
      try {
        store = await createImageStore(
          { ...s, path: s.path && resolve(cfg.baseDir, s.path), manifest: s.manifest && resolve(cfg.baseDir, s.manifest), cacheDir: s.cacheDir && resolve(cfg.baseDir, s.cacheDir) },
          cfg.images.maxBytes,
        );
      } catch (e) {
        throw new ShardloomError('CONFIG_INVALID', `sources[${i}].imageStore: ${(e as Error).message}`, { cause: e });
      }
    }
    return { store, onImageError: src.onMissingImage ?? 'drop', maxImages: src.maxImagesPerDoc ?? 16, tooMany: src.tooManyImages ?? 'shrink', dedup: src.dedupImages ?? false };
  }
  return null;
}
