/**
 * The CPU backend. Per image: ONE decode to raw 8-bit sRGB — a plain JPEG on a tiling thread by libjpeg-turbo
 * straight into the resampler's memory, anything else by sharp/libvips (EXIF orientation applied, alpha
 * composited on white, grey / CMYK / palette / 16-bit converted); the grid and the thumbnail resized from that
 * one copy (Pillow's bicubic in WebAssembly SIMD, bit-identical to PIL); every tile encoded straight from the
 * resized pixels by libjpeg-turbo (turbojpeg.ts) or sharp. Where the time goes and why: docs/performance.md.
 * Video frames (already decoded by ffmpeg): Pillow's bicubic to one tileSize² tile, encoded the same way.
 * A batch is its items run concurrently (the caller bounds how many batches are in flight).
 */
import { cpus } from 'node:os';
import type SharpType from 'sharp';
import { isMainThread } from 'node:worker_threads';
import { tilingThreads } from './threads.js';

let sharpLoaded: Promise<typeof SharpType> | undefined;

/**
 * sharp (libvips), loaded on first use: a thread that never decodes through libvips (the main thread of a run
 * with tiling threads; a tiling thread that only meets plain JPEGs) never pays for loading it. No libvips
 * operation cache: every image is decoded once.
 */
export function loadSharp(): Promise<typeof SharpType> {
  return (sharpLoaded ??= import('sharp').then((m) => {
    m.default.cache(false);
    return m.default;
  }));
}

/** On a tiling thread (threads.ts) pixel work runs synchronously: the thread exists for it. */
const syncPixels = !isMainThread;
import type { TiledImage } from '../core/model.js';
import { withSingleImage, settle } from './batch.js';
import { MediaError } from './errors.js';
import { assertNotTruncated, checkImageEnd, decodeFailure, type ImageEnd } from './integrity.js';
import { jpegTraits } from './jpeg-info.js';
import { planTiles } from './tiling.js';
import { Resampler, resizeBicubicRgb } from './resample.js';
import { loadTurboJpeg, TJCS } from './turbojpeg.js';
import type { ComputeBackend, FrameJob, FrameTileOptions, ImageJob, ItemResult, RgbFrame, TileOptions } from './types.js';

export interface RawImage { data: Buffer; width: number; height: number }

/**
 * Decode any supported image to raw RGB, within the byte and pixel limits. The reject reason depends on the
 * bytes only, never on libvips' error text (integrity.ts says why): a file whose data stops inside a structure
 * is `image.truncated` before any decoding; a file the decoder refuses is `image.truncated` when it ends
 * before its end marker, `image.decode` otherwise. Truncated images are refused, as InternVL's PIL loading
 * refuses them by default (no LOAD_TRUNCATED_IMAGES): grey-filled pixels would be trained on as real ones.
 */
export async function decodeRgb(bytes: Uint8Array, o: Pick<TileOptions, 'maxBytes' | 'maxPixels'>): Promise<RawImage> {
  const end = precheck(bytes, o);
  let meta;
  try {
    meta = await (await loadSharp())(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw decodeFailure(end, 'not a decodable image', e);
  }
  const pixels = (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0);
  if (pixels > o.maxPixels) throw new MediaError('image.too_many_pixels', `${meta.width}×${meta.pageHeight ?? meta.height} = ${pixels} pixels > images.maxPixels ${o.maxPixels}`);
  let out;
  try {
    // limitInputPixels only backs up the check above (same width × page height): its refusal is a decode failure.
    const sharp = await loadSharp();
    out = await sharp(bytes, { limitInputPixels: o.maxPixels, failOn: 'error', pages: 1, page: 0 })
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw decodeFailure(end, 'decoding failed', e);
  }
  if (out.info.channels !== 3) throw new MediaError('image.decode', `decoded to ${out.info.channels} channels`);
  return { data: out.data, width: out.info.width, height: out.info.height };
}

/** The checks every decode starts with: empty, too large, cut short (integrity.ts). */
export function precheck(bytes: Uint8Array, o: Pick<TileOptions, 'maxBytes'>): ImageEnd {
  if (bytes.length === 0) throw new MediaError('image.empty', 'zero-byte image');
  if (bytes.length > o.maxBytes) throw new MediaError('image.too_large', `${bytes.length} bytes > images.maxBytes ${o.maxBytes}`);
  const end = checkImageEnd(bytes);
  assertNotTruncated(end);
  return end;
}

/**
 * A plain JPEG — one another decoder than libvips may take and give libvips' pixels: a whole
 * baseline/progressive JPEG in one of `colorspaces` (TurboJPEG's), within the pixel limit, with no EXIF
 * rotation and no ICC profile (libvips applies both). Its size, or null for anything else, which goes the
 * libvips way (that path also gives the reject reasons). Used by the direct decoder below and by the gpu
 * backend to choose what its worker decodes.
 */
export function plainJpegSize(bytes: Uint8Array, end: ImageEnd, maxPixels: number, colorspaces: readonly number[]): { width: number; height: number } | null {
  if (end.format !== 'jpeg' || end.state !== 'complete') return null;
  const turbo = loadTurboJpeg().lib;
  if (!turbo) return null;
  const traits = jpegTraits(bytes);
  if (!traits || traits.icc || traits.orientation !== 1) return null;
  try {
    const h = turbo.header(bytes);
    if (!colorspaces.includes(h.colorspace)) return null;
    if (!(h.width > 0 && h.height > 0) || h.width * h.height > maxPixels) return null;
    return { width: h.width, height: h.height };
  } catch {
    return null;
  }
}

/**
 * The direct JPEG decoder (libjpeg-turbo, straight into the resampler's memory, on a tiling thread) takes a
 * plain JPEG in YCbCr, grey or RGB; any libjpeg warning while decoding still sends it the libvips way.
 */
function directJpeg(bytes: Uint8Array, end: ImageEnd, o: Pick<TileOptions, 'maxPixels'>): { width: number; height: number } | null {
  return syncPixels ? plainJpegSize(bytes, end, o.maxPixels, [TJCS.YCbCr, TJCS.GRAY, TJCS.RGB]) : null;
}

/** A raw RGB image whose wanted area is the top-left `width`×`height` of a buffer `stride` pixels wide. */
export interface RawArea { data: Buffer; width: number; height: number; stride: number }

/** Copy the S×S tile at (left, top) out of raw RGB rows `width` pixels apart. */
function copyTile(data: Uint8Array, width: number, left: number, top: number, S: number): Buffer {
  const tile = Buffer.allocUnsafe(S * S * 3);
  for (let y = 0; y < S; y++) {
    const from = ((top + y) * width + left) * 3;
    tile.set(data.subarray(from, from + S * 3), y * S * 3);
  }
  return tile;
}

/** Cut the (cols·S)×(rows·S) area into row-major S×S raw tiles. */
export function cutTiles(grid: RawArea, cols: number, rows: number, S: number): Buffer[] {
  const tiles: Buffer[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) tiles.push(copyTile(grid.data, grid.stride, c * S, r * S, S));
  return tiles;
}

export function encodeTile(raw: Buffer, S: number, o: Pick<TileOptions, 'encoding' | 'quality'>): Promise<Buffer> {
  return o.encoding === 'raw' ? Promise.resolve(raw) : encodeArea(raw, S, S, 0, 0, S, o);
}

/** Encode the S×S tile at (left, top) of a raw RGB area width×height — libvips reads it in place. */
function encodeArea(area: Uint8Array, width: number, height: number, left: number, top: number, S: number, o: Pick<TileOptions, 'encoding' | 'quality'>): Promise<Buffer> {
  if (o.encoding === 'raw') return Promise.resolve(copyTile(area, width, left, top, S));
  const turbo = o.encoding === 'jpeg' ? loadTurboJpeg().lib : null;
  // On a tiling thread the encoder runs right here (that thread exists for it); elsewhere on libuv's pool.
  if (turbo) return syncPixels ? Promise.resolve(turbo.encodeRgbSync(area, (top * width + left) * 3, S, S, width * 3, o.quality)) : turbo.encodeRgb(area, (top * width + left) * 3, S, S, width * 3, o.quality);
  return loadSharp().then((sharp) => {
    let p = sharp(area, { raw: { width, height, channels: 3 } });
    if (width !== S || height !== S) p = p.extract({ left, top, width: S, height: S });
    // No Huffman optimisation (PIL's default too): it doubles the encode time for ~5 % smaller tiles.
    return (o.encoding === 'png' ? p.png({ compressionLevel: 6 }) : p.jpeg({ quality: o.quality, chromaSubsampling: '4:2:0', optimiseCoding: false })).toBuffer();
  });
}

/** Resamplers not in use; one per image in flight, so an image's pixels stay in place until its tiles are encoded. */
const idle: Resampler[] = [];

/** The sizes an image is resized to: its grid, then the thumbnail when there is one. */
function plannedSizes(width: number, height: number, o: TileOptions) {
  const plan = planTiles(width, height, o);
  const S = o.tileSize;
  const sizes = [{ width: plan.cols * S, height: plan.rows * S }];
  if (plan.thumbnail) sizes.push({ width: S, height: S });
  return { plan, sizes };
}

/**
 * Decode and resize to every planned size — Pillow's bicubic in WebAssembly, bit-identical to PIL whether it
 * enlarges or shrinks, the results left in the resampler's memory. On a tiling thread a plain JPEG is decoded
 * by libjpeg-turbo straight into that memory (no copy; PIL's decoder settings, the same pixels as libvips);
 * anything else through decodeRgb.
 */
async function decodeAndResize(r: Resampler, bytes: Uint8Array, o: TileOptions) {
  const end = precheck(bytes, o);
  const direct = directJpeg(bytes, end, o);
  if (direct) {
    const { plan, sizes } = plannedSizes(direct.width, direct.height, o);
    const job = r.prepare(direct.width, direct.height, sizes);
    let decoded = true;
    try {
      loadTurboJpeg().lib!.decodeRgbSync(bytes, job.input, direct.width, direct.height);
    } catch {
      decoded = false;
    }
    if (decoded) return { plan, resized: job.run() };
  }
  const img = await decodeRgb(bytes, o);
  const { plan, sizes } = plannedSizes(img.width, img.height, o);
  return { plan, resized: r.resize(img.data, img.width, img.height, sizes) };
}

export async function tileImageCpu(bytes: Uint8Array, o: TileOptions): Promise<{ grid: TiledImage['grid']; tiles: Buffer[] }> {
  const S = o.tileSize;
  const r = idle.pop() ?? new Resampler();
  try {
    const { plan, resized: [grid, thumb] } = await decodeAndResize(r, bytes, o);
    const jobs: Promise<Buffer>[] = [];
    // A synchronous throw (bad options) becomes a rejection, so the tiles already started are waited for too.
    const encode = (area: Uint8Array, w: number, h: number, left: number, top: number) => {
      try {
        return encodeArea(area, w, h, left, top, S, o);
      } catch (e) {
        return Promise.reject(e);
      }
    };
    for (let row = 0; row < plan.rows; row++) for (let col = 0; col < plan.cols; col++) jobs.push(encode(grid, plan.cols * S, plan.rows * S, col * S, row * S));
    if (thumb) jobs.push(encode(thumb, S, S, 0, 0));
    // Wait for every encoder before the memory is reused, even when one fails.
    const done = await Promise.allSettled(jobs);
    const failed = done.find((d) => d.status === 'rejected');
    if (failed) throw new MediaError('image.encode', `tile encoding failed: ${(failed.reason as Error).message}`);
    return { grid: { cols: plan.cols, rows: plan.rows, thumbnail: plan.thumbnail }, tiles: done.map((d) => (d as PromiseFulfilledResult<Buffer>).value) };
  } finally {
    idle.push(r);
  }
}

/**
 * One decoded video frame → one tileSize² tile: Pillow's bicubic (bit-identical to PIL, whichever way the
 * frame is scaled; no libvips shortcut for frames), then encoded like an image tile. The resize runs when this
 * is called (the frame can be dropped as soon as it returns); only the S² result waits for its encoder.
 */
export function tileFrameCpu(f: RgbFrame, o: FrameTileOptions): Promise<Buffer> {
  const S = o.tileSize;
  if (!(Number.isInteger(S) && S > 0)) throw new MediaError('video.error', `tile size must be a positive integer, got ${S}`);
  if (!(f.width > 0 && f.height > 0) || f.data.length < f.width * f.height * 3) throw new MediaError('video.error', `frame of ${f.data.length} bytes is not ${f.width}×${f.height} RGB`);
  const px = f.width === S && f.height === S ? f.data : resizeBicubicRgb(f.data, f.width, f.height, S, S);
  return encodeArea(px, S, S, 0, 0, S, o);
}

/** Images of a batch: each through tileImageCpu, concurrently, results in order, failures per item. */
export function tileImagesCpu(batch: readonly ImageJob[]): Promise<ItemResult<TiledImage>[]> {
  return Promise.all(batch.map((j) => settle(() => tileImageCpu(j.bytes, j.opts), 'image.error')));
}

/** Frames of a batch: each resized now (in order), encoded concurrently, failures per item. */
export function tileFramesCpu(batch: readonly FrameJob[]): Promise<ItemResult<Uint8Array>[]> {
  return Promise.all(batch.map((j) => settle<Uint8Array>(() => tileFrameCpu(j.frame, j.opts), 'video.error')));
}

/** Raw RGB tiles (thumbnail last), as the pipeline computes them. Used by the PIL parity test. */
export async function rawTiles(bytes: Uint8Array, o: TileOptions): Promise<{ grid: TiledImage['grid']; tiles: Buffer[] }> {
  return tileImageCpu(bytes, { ...o, encoding: 'raw' });
}

/** The JPEG encoder encodeTile uses in this process. */
export function tileEncoder(): string {
  return loadTurboJpeg().lib ? 'libjpeg-turbo' : 'sharp-mozjpeg';
}

/** The same, for a person: where the library came from, or why sharp encodes. */
export function describeTileEncoder(): string {
  const turbo = loadTurboJpeg();
  return turbo.lib ? `libjpeg-turbo (${turbo.lib.library})` : `sharp/mozjpeg — ${turbo.reason}`;
}

/**
 * `concurrency`: batches in flight (`compute.concurrency`, default 2 × cores). A batch of one item is as good
 * as a bigger one here: items run as soon as they arrive, which keeps one decoded video frame in memory.
 * `threads`: tiling threads (threads.ts) that do all the pixel work, so the calling thread only schedules;
 * 0 (the default for library use) tiles in the calling thread. Same bytes either way.
 */
export function cpuBackend(opts: { concurrency?: number; threads?: number } = {}): ComputeBackend {
  const pool = opts.threads && opts.threads > 0 ? tilingThreads(opts.threads) : null;
  return withSingleImage({
    name: 'cpu',
    encoder: tileEncoder(),
    frames: 'cpu',
    threads: pool?.size ?? 0,
    batching: { maxItems: 1, maxInFlight: Math.max(1, opts.concurrency || 2 * (pool?.size ?? cpus().length)) },
    tileImages: pool ? pool.tileImages : tileImagesCpu,
    tileFrames: pool ? pool.tileFrames : tileFramesCpu,
    close: async () => pool?.close(),
  });
}
