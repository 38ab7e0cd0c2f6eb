import type { TiledImage } from '../core/model.js';
import type { MediaError } from './errors.js';

/** How one image is tiled (InternVL dynamic tiling) and encoded, within the byte and pixel limits. */
export interface TileOptions {
  minTiles: number;
  maxTiles: number;
  /** Edge of a square tile in pixels: `images.tileSize` (448 for InternVL). */
  tileSize: number;
  encoding: 'jpeg' | 'png' | 'raw';
  quality: number;
  maxBytes: number;
  maxPixels: number;
}

/** How one video frame becomes one tile: resized (bicubic) to tileSize × tileSize ignoring aspect ratio, encoded. */
export type FrameTileOptions = Pick<TileOptions, 'tileSize' | 'encoding' | 'quality'>;

/** Decoded 8-bit RGB pixels, rows packed (`width · 3` bytes apart): `data.length ≥ width · height · 3`. */
export interface RgbFrame { data: Uint8Array; width: number; height: number }

/** One encoded image to tile. */
export interface ImageJob { bytes: Uint8Array; opts: TileOptions }
/** One decoded video frame to turn into one tile. */
export interface FrameJob { frame: RgbFrame; opts: FrameTileOptions }

/** The outcome of one item of a batch: its value, or why that item (only that item) failed. */
export type ItemResult<T> = { ok: true; value: T } | { ok: false; error: MediaError };

/** The batches a backend wants: at most `maxItems` items each, at most `maxInFlight` batches outstanding. */
export interface BatchLimits { maxItems: number; maxInFlight: number }

/**
 * All pixel work — images and video frames — goes through a backend. Backends agree on the tiling plan
 * (`planTiles`, grids identical); their pixels may differ within a tolerance.
 *
 * The contract, for a batched, asynchronous backend (a long-lived worker per device) as much as for the cpu one:
 * - Work comes as batches: `tileImages` / `tileFrames` take an array of jobs and resolve to one `ItemResult`
 *   per job, **in input order** (`results[i]` belongs to `batch[i]`), whatever order the work finished in.
 * - Errors are per item: a job that cannot be done resolves to `{ ok: false, error }` with a `MediaError`
 *   (its `reason` becomes the reject reason; `retryable` when a retry may succeed, e.g. a worker that died
 *   mid-batch); the other items of the batch are unaffected. The returned promise rejects only when the
 *   backend itself is unusable (closed, or a bug), never because of one item's bytes.
 * - Batch shape: callers keep to `batching` — at most `maxItems` jobs per batch and `maxInFlight` batches
 *   not yet resolved — so memory in flight is bounded; `FrameQueue` (batch.ts) does this for a stream of
 *   frames. A backend may accept more (the cpu backend does) but is not required to do so quickly.
 * - Concurrency: several batches may be in flight at once, from several callers; a backend serialises or
 *   spreads them as it likes. Each job carries its own options (e.g. `tileSize` from `images.tileSize`):
 *   a backend hard-codes no size.
 * - Buffers: the backend may read a job's `bytes` / `frame.data` until that batch's promise resolves and
 *   never writes them; the caller must not change them before then, and may reuse them after. The tiles
 *   it returns are new buffers owned by the caller (never views of memory the backend reuses).
 */
export interface ComputeBackend {
  readonly name: 'cpu' | 'gpu';
  /** Which JPEG encoder writes the tiles (`libjpeg-turbo` or `sharp-mozjpeg`): the bytes depend on it. */
  readonly encoder: string;
  /** Where video frames are resized and encoded (every backend has its own frame path). */
  readonly frames: 'cpu' | 'gpu';
  /** Where the pixels are made, for the shards' metadata (e.g. `gpu cuda:0 (NVIDIA H200)`); absent for the cpu backend. */
  readonly description?: string;
  /** Threads doing this backend's pixel work off the calling thread (0: it works in the calling thread). */
  readonly threads?: number;
  /** The batches this backend wants (see above). */
  readonly batching: BatchLimits;
  /** Decode, plan, resize and cut each image into its grid (+ thumbnail), encode every tile. */
  tileImages(batch: readonly ImageJob[]): Promise<ItemResult<TiledImage>[]>;
  /** Each frame (already decoded RGB) resized to one `tileSize`² tile and encoded; one encoded tile per job. */
  tileFrames(batch: readonly FrameJob[]): Promise<ItemResult<Uint8Array>[]>;
  /** One image: a batch of one through `tileImages`; throws that item's MediaError. */
  tileImage(bytes: Uint8Array, opts: TileOptions): Promise<TiledImage>;
  close(): Promise<void>;
}
