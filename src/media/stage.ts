/**
 * The media stage: documents with image references become documents with tiled images. Pixel work goes
 * through the compute backend, several documents in flight, results in input order. Each source has a
 * policy for images that cannot be used (drop the image, counted, or reject the document) and for
 * documents with too many images or tiles (drop trailing images, shrink each image's tile budget as
 * InternVL does for multi-image samples, or reject).
 */
import { ShardloomError } from '../core/errors.js';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Document, ImageRef, MediaDocument, MediaSegment, TiledImage } from '../core/model.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Rejects } from '../core/rejects.js';
import type { Stats } from '../core/stats.js';
import type { ComputeBackend } from '../compute/index.js';
import type { ImageStore } from './image-store.js';
import { MediaError } from './errors.js';
import { mapOrdered } from '../core/concurrency.js';
import { perImageMaxTiles } from './tiling.js';
import { recordImageSize } from '../shards/run-stats.js';

export interface MediaPolicy {
  store?: ImageStore;
  onImageError: 'drop' | 'reject';
  maxImages: number;
  tooMany: 'drop' | 'shrink' | 'reject';
  /** Skip images whose content was already seen in this run. */
  dedup: boolean;
}

export interface MediaStageOptions {
  compute: ComputeBackend;
  images: ResolvedConfig['images'];
  /** Tiles one packed sequence may hold: a document must fit it. */
  packMaxTiles: number;
  concurrency: number;
  rejects: Rejects;
  stats: Stats;
  policy: MediaPolicy;
  /** Content hashes seen so far in this pass over the source (when dedup is on). */
  seen?: Set<string>;
}

/**
 * Fetching runs ahead of tiling: enough documents have their images in flight to keep the image store's
 * requests busy (`imageStore.concurrency`) while the compute backend tiles `concurrency` documents.
 */
export async function* mediaStage(docs: AsyncIterable<Document>, opts: MediaStageOptions): AsyncGenerator<MediaDocument> {
  // With dedupImages the content hashes are checked as the images arrive: one document at a time, so which
  // copy of an image is kept follows the document order, not the timing of the fetches.
  const ahead = opts.policy.dedup ? 1 : Math.max(opts.concurrency, opts.policy.store?.concurrency ?? 0);
  const fetched = mapOrdered(docs, ahead, (d) => fetchImages(d, opts));
  for await (const r of mapOrdered(fetched, opts.concurrency, async (f) => f && tileImages(f, opts))) if (r) yield r;
}

/** Worst-case tiles of one image allowed `m` tiles: the grid plus a thumbnail when the grid has more than one. */
const worstTiles = (m: number) => m + (m > 1 ? 1 : 0);

/** Plan the tile budget: how many images to keep and each one's maxTiles. Null: reject the document. */
export function budget(n: number, images: ResolvedConfig['images'], packMaxTiles: number, policy: MediaPolicy): { keep: number; maxTiles: number } | null {
  let keep = n;
  if (n > policy.maxImages) {
    if (policy.tooMany === 'reject') return null;
    keep = policy.maxImages;
  }
  let m = images.multiImage === 'divide' ? perImageMaxTiles(images.maxTiles, keep) : images.maxTiles;
  if (keep * worstTiles(m) > packMaxTiles) {
    if (policy.tooMany === 'reject') return null;
    if (policy.tooMany === 'shrink') while (m > 1 && keep * worstTiles(m) > packMaxTiles) m--;
    while (keep > 0 && keep * worstTiles(m) > packMaxTiles) keep--;
  }
  return { keep, maxTiles: Math.max(m, 1) };
}

interface Fetched { doc: Document; n: number; bytes: Map<number, Uint8Array>; tooMany: number }

/**
 * 1. The bytes of each image, in order; past maxImagesPerDoc usable images the rest are not fetched. The
 * images are fetched at once, as many as could still be used: one that fails or is a duplicate starts the
 * next, so the same images are fetched as one after another, without waiting for each in turn.
 */
async function fetchImages(doc: Document, opts: MediaStageOptions): Promise<Fetched | null> {
  const refs = [...doc.segments.entries()].flatMap(([i, s]) => (s.type === 'image' ? [{ i, image: s.image }] : []));
  const n = refs.length;
  const bytes = new Map<number, Uint8Array>();
  if (n === 0) return { doc, n, bytes, tooMany: 0 };
  const { policy, stats } = opts;
  const limit = policy.tooMany === 'reject' ? Infinity : policy.maxImages;
  const pending = new Map<number, Promise<Uint8Array>>();
  let next = 0;
  const fill = () => {
    for (; next < n && bytes.size + pending.size < limit; next++) {
      const p = imageBytes(refs[next].image, opts.images.maxBytes, policy.store);
      p.catch(() => undefined); // raised where it is awaited, in order
      pending.set(refs[next].i, p);
    }
  };
  let tooMany = 0;
  for (const { i } of refs) {
    if (bytes.size >= limit) { tooMany++; continue; }
    fill();
    try {
      const b = await pending.get(i)!;
      if (policy.dedup && opts.seen) {
        const h = createHash('sha1').update(b).digest('base64');
        if (opts.seen.has(h)) { stats.inc('images.dropped.duplicate'); continue; }
        opts.seen.add(h);
      }
      bytes.set(i, b);
    } catch (e) {
      if (policy.onImageError === 'reject') { opts.rejects.reject({ ...doc.provenance, reason: reasonOf(e), detail: (e as Error).message }); return null; }
      dropped(stats, reasonOf(e));
    } finally {
      pending.delete(i);
    }
  }
  return { doc, n, bytes, tooMany };
}

/**
 * Tile a document's images. The tile budget (`max(1, floor(maxTiles / N))`) counts the images that are
 * actually kept: images that cannot be had or are duplicates are dropped first, and an image that fails
 * to decode makes the budget be planned again for the rest. A dropped image leaves no trace in the text:
 * the texts on either side are joined as two adjacent texts of the document are (`doc.textJoiner`).
 */
async function tileImages({ doc, n, bytes, tooMany }: Fetched, opts: MediaStageOptions): Promise<MediaDocument | null> {
  if (n === 0) return doc as MediaDocument;
  const { policy, stats } = opts;
  const fail = (reason: string, detail: string): null => { opts.rejects.reject({ ...doc.provenance, reason, detail }); return null; };
  // 2. Tile what is kept with the budget for that many images; an undecodable image re-plans the rest.
  let kept = [...bytes.keys()];
  const tiled = new Map<number, { maxTiles: number; image: TiledImage }>();
  for (;;) {
    if (kept.length === 0) break;
    const plan = budget(kept.length, opts.images, opts.packMaxTiles, policy);
    if (!plan || plan.keep === 0) return fail('doc.too_many_images', `${kept.length} usable images (${n} in the document); maxImagesPerDoc ${policy.maxImages}, pack.maxTiles ${opts.packMaxTiles}`);
    tooMany += kept.length - plan.keep;
    kept = kept.slice(0, plan.keep);
    const tileOpts = {
      minTiles: Math.min(opts.images.minTiles, plan.maxTiles), maxTiles: plan.maxTiles, tileSize: opts.images.tileSize, encoding: opts.images.encoding,
      quality: opts.images.quality, maxBytes: opts.images.maxBytes, maxPixels: opts.images.maxPixels,
    };
    const failed: number[] = [];
    for (const i of kept) {
      if (tiled.get(i)?.maxTiles === plan.maxTiles) continue;
      try {
        tiled.set(i, { maxTiles: plan.maxTiles, image: await opts.compute.tileImage(bytes.get(i)!, tileOpts) });
      } catch (e) {
        if (e instanceof ShardloomError) throw e; // the compute backend cannot go on: the run stops
        if (policy.onImageError === 'reject') return fail(reasonOf(e), (e as Error).message);
        dropped(stats, reasonOf(e));
        failed.push(i);
      }
    }
    if (failed.length === 0) break;
    kept = kept.filter((i) => !failed.includes(i));
  }
  if (tooMany > 0) stats.inc('images.dropped.too_many', tooMany);
  stats.inc('images.tiled', kept.length);
  for (const i of kept) recordImageSize(stats, bytes.get(i)!); // stats.json imageSizes (original width × height)
  // 3. The document with its kept images; texts that end up side by side are joined.
  const keep = new Set(kept);
  const joiner = doc.textJoiner ?? '\n\n';
  const segments: MediaSegment[] = [];
  for (const [i, seg] of doc.segments.entries()) {
    const last = segments[segments.length - 1];
    if (seg.type === 'image') { if (keep.has(i)) segments.push({ type: 'image', image: tiled.get(i)!.image }); }
    else if (seg.type === 'text' && last?.type === 'text') segments[segments.length - 1] = { type: 'text', text: last.text + joiner + seg.text };
    else segments.push(seg as MediaSegment);
  }
  if (!segments.some((s) => s.type === 'image' || (s.type === 'text' && s.text.trim()))) {
    return fail('doc.empty_after_images', 'every image was dropped and there is no text');
  }
  return { ...doc, segments };
}

const reasonOf = (e: unknown) => (e instanceof MediaError ? e.reason : 'image.error');

function dropped(stats: Stats, reason: string): void {
  stats.inc(`images.dropped.${reason}`);
  stats.inc('images.dropped');
}

async function imageBytes(ref: ImageRef, maxBytes: number, store?: ImageStore): Promise<Uint8Array> {
  if (ref.kind === 'bytes') {
    if (ref.bytes.length > maxBytes) throw new MediaError('image.too_large', `${ref.bytes.length} bytes > images.maxBytes ${maxBytes}`);
    return ref.bytes;
  }
  if (ref.kind === 'url') {
    if (!store) throw new MediaError('image.no_store', `image URL but the source has no imageStore: ${ref.url}`);
    return store.get(ref.url);
  }
  const st = await stat(ref.path).catch(() => null);
  if (!st) throw new MediaError('image.missing', `image file ${ref.path} does not exist`);
  if (st.size > maxBytes) throw new MediaError('image.too_large', `${st.size} bytes > images.maxBytes ${maxBytes}`);
  return readFile(ref.path);
}
