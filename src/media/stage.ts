/**
 * The media stage: documents with image references become documents with tiled images. Pixel work
 * goes through the compute backend, several documents in flight, results in input order. An image that
 * cannot be used rejects its document (a caption pair without its image is no sample).
 */
import { readFile, stat } from 'node:fs/promises';
import type { Document, ImageRef, MediaDocument, MediaSegment } from '../model.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Rejects } from '../rejects.js';
import type { ComputeBackend } from '../compute/index.js';
import { MediaError } from './errors.js';
import { mapOrdered } from '../concurrency.js';
import { perImageMaxTiles } from './tiling.js';

export interface MediaStageOptions {
  compute: ComputeBackend;
  images: ResolvedConfig['images'];
  concurrency: number;
  rejects: Rejects;
}

export async function* mediaStage(docs: AsyncIterable<Document>, opts: MediaStageOptions): AsyncGenerator<MediaDocument> {
  const results = mapOrdered(docs, opts.concurrency, (d) => tileDocument(d, opts).catch((e: unknown) => e as Error));
  for await (const r of results) {
    if (r instanceof Error) continue; // already rejected in tileDocument
    if (r) yield r;
  }
}

async function tileDocument(doc: Document, opts: MediaStageOptions): Promise<MediaDocument | null> {
  const nImages = doc.segments.filter((s) => s.type === 'image').length;
  if (nImages === 0) return doc as MediaDocument;
  const maxTiles = opts.images.multiImage === 'divide' ? perImageMaxTiles(opts.images.maxTiles, nImages) : opts.images.maxTiles;
  const tileOpts = {
    minTiles: Math.min(opts.images.minTiles, maxTiles),
    maxTiles,
    tileSize: opts.images.tileSize,
    encoding: opts.images.encoding,
    quality: opts.images.quality,
    maxBytes: opts.images.maxBytes,
    maxPixels: opts.images.maxPixels,
  };
  const segments: MediaSegment[] = [];
  for (const seg of doc.segments) {
    if (seg.type !== 'image') {
      segments.push(seg as MediaSegment);
      continue;
    }
    try {
      const bytes = await imageBytes(seg.image, opts.images.maxBytes);
      segments.push({ type: 'image', image: await opts.compute.tileImage(bytes, tileOpts) });
    } catch (e) {
      const reason = e instanceof MediaError ? e.reason : 'image.error';
      opts.rejects.reject({ ...doc.provenance, reason, detail: (e as Error).message });
      return null;
    }
  }
  return { ...doc, segments };
}

async function imageBytes(ref: ImageRef, maxBytes: number): Promise<Uint8Array> {
  if (ref.kind === 'bytes') return ref.bytes;
  if (ref.kind === 'url') throw new MediaError('image.url_unsupported', `image URLs need an image store (not configured): ${ref.url}`);
  const st = await stat(ref.path).catch(() => null);
  if (!st) throw new MediaError('image.missing', `image file ${ref.path} does not exist`);
  if (st.size > maxBytes) throw new MediaError('image.too_large', `${st.size} bytes > images.maxBytes ${maxBytes}`);
  return readFile(ref.path);
}
