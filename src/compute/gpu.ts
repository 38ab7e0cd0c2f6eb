/**
 * The GPU backend: one long-lived worker process per device (python/shardloom_gpu_worker.py, PyTorch +
 * torchvision: nvJPEG decode, bicubic antialiased resize, tile cut, JPEG encode on the GPU where the installed
 * torchvision can), fed in batches over a pipe (gpu-process.ts). The same worker runs with `device: cpu`, which
 * is how CI tests the protocol, batching, errors, restart and fallback on every run.
 *
 * Here, in Node: the plan (`planTiles`, the same grids as the cpu backend), the integrity checks and reject
 * reasons that depend on the bytes alone, and the choice of what the worker decodes: a plain JPEG (YCbCr /
 * grey / RGB, EXIF orientation 1, no ICC profile — what libjpeg-turbo decodes to libvips' pixels) goes as a
 * file; anything else is decoded here by the cpu backend's decoder (EXIF rotation, ICC, alpha, CMYK… applied
 * the same way) and goes as RGB.
 *
 * Calls to `tileImage` made at about the same time are gathered into one batch (at most `batchSize`), at most
 * two batches in flight. A worker that dies or misses its deadline is restarted once and the batch sent again;
 * after that the run stops with a clear message — or, with `compute.fallback: cpu`, goes on with the cpu
 * backend (logged, and recorded in the shards' metadata).
 */
import type { TiledImage } from '../core/model.js';
import type { Logger } from '../core/log.js';
import { ShardloomError } from '../core/errors.js';
import { BatchQueue, settle } from './batch.js';
import { MediaError } from './errors.js';
import { TJCS } from './turbojpeg.js';
import { planTiles } from './tiling.js';
import { decodeRgb, encodeTile, plainJpegSize, precheck } from './cpu.js';
import { GpuProcess, WorkerGone, type Frame } from './gpu-process.js';
import type { ComputeBackend, FrameJob, ImageJob, ItemResult, TileOptions } from './types.js';

export interface GpuOptions {
  /** The Python that has torch and torchvision. */
  python: string;
  /** CPU threads of the worker (its CPU-side JPEG decode / encode). */
  threads?: number;
  /** `cuda:N` or `cpu`. */
  device: string;
  batchSize: number;
  /** Deadline of one batch, ms (a worker that misses it is taken as hung). */
  timeoutMs: number;
  fallback: 'none' | 'cpu';
  log: Logger;
  /** The backend to fall back to (made when needed). */
  cpu: () => ComputeBackend;
  env?: NodeJS.ProcessEnv;
}

export interface Hello { ok: boolean; error?: string; torch?: string; torchvision?: string; device?: string; deviceName?: string; batchedDecode?: boolean; gpuDecode?: boolean; gpuEncode?: boolean }

/** Start a worker and say hello: the worker, or why the device cannot be used. */
export async function startWorker(o: Pick<GpuOptions, 'python' | 'device' | 'log' | 'env' | 'threads'>, timeoutMs = 120_000): Promise<{ proc: GpuProcess; hello: Hello } | { error: string }> {
  let proc: GpuProcess;
  try {
    proc = new GpuProcess(o);
  } catch (e) {
    return { error: (e as Error).message };
  }
  try {
    const hello = (await proc.request({ op: 'hello' }, [], timeoutMs)).header as unknown as Hello;
    if (!hello.ok) {
      await proc.close();
      return { error: hello.error ?? 'the worker refused the device' };
    }
    return { proc, hello };
  } catch (e) {
    await proc.close().catch(() => undefined);
    return { error: (e as Error).message };
  }
}

/** What the worker is sent for one image: a plain JPEG as it is, anything else decoded here. */
interface Prepared { item: Record<string, unknown>; blob: Uint8Array; grid: TiledImage['grid']; encoding: TileOptions['encoding']; opts: TileOptions }

async function prepareImage(bytes: Uint8Array, o: TileOptions): Promise<Prepared> {
  const end = precheck(bytes, o);
  // PNG tiles are encoded here from the worker's raw tiles; JPEG and raw come back as they are.
  const encoding = o.encoding === 'png' ? 'raw' : o.encoding;
  // The worker's decoders (nvJPEG, torchvision's libjpeg) are given YCbCr and grey JPEGs; the rest is decoded here.
  const plain = plainJpegSize(bytes, end, o.maxPixels, [TJCS.YCbCr, TJCS.GRAY]);
  const size: { width: number; height: number; data?: Uint8Array } = plain ?? (await decodeRgb(bytes, o));
  const plan = planTiles(size.width, size.height, o);
  const item = { kind: plain ? 'jpeg' : 'rgb', width: size.width, height: size.height, cols: plan.cols, rows: plan.rows, thumbnail: plan.thumbnail, tileSize: o.tileSize, encoding, quality: o.quality };
  const blob = size.data ?? bytes;
  return { item, blob, grid: { cols: plan.cols, rows: plan.rows, thumbnail: plan.thumbnail }, encoding: o.encoding, opts: o };
}

/** Batches in a row whose every item failed on the device (`image.gpu`) before the worker is taken as broken. */
const BROKEN_AFTER = 3;

/** The worker's reply → one result per item; `k` tiles per ok item, in order. */
function splitReply(f: Frame, n: number, reasonDefault: string): ItemResult<Buffer[]>[] {
  const items = f.header.items as ({ ok: true; tiles: number } | { ok: false; reason?: string; message?: string })[] | undefined;
  if (!Array.isArray(items) || items.length !== n) throw new WorkerGone(`the GPU worker answered ${Array.isArray(items) ? items.length : 'no'} results for ${n} items`);
  let at = 0;
  return items.map((it) => {
    if (!it.ok) return { ok: false, error: new MediaError(it.reason ?? reasonDefault, it.message ?? 'failed on the GPU worker') };
    const tiles = f.blobs.slice(at, at + it.tiles).map((b) => Buffer.from(b)); // own memory, not a view of the reply
    at += it.tiles;
    return { ok: true, value: tiles };
  });
}

export function gpuBackend(first: { proc: GpuProcess; hello: Hello }, o: GpuOptions): ComputeBackend & { readonly fallenBack: string | null } {
  let proc: GpuProcess | null = first.proc;
  let restarted = false;
  let fallen: { backend: ComputeBackend; why: string } | null = null;
  let nextId = 1;
  let failedBatches = 0;
  const where = `${first.hello.device}${first.hello.deviceName && first.hello.deviceName !== 'cpu' ? ` (${first.hello.deviceName})` : ''}`;
  const encoder = first.hello.gpuEncode ? `nvjpeg (torchvision ${first.hello.torchvision})` : `libjpeg (torchvision ${first.hello.torchvision}, CPU)`;

  /** Why the worker last went away (what a fallback or a stop reports, whichever request meets it). */
  let lastWhy = 'the GPU worker is not running';
  /** Set while a replacement worker starts: requests in flight wait for it instead of judging the old one's death. */
  let restarting: Promise<void> | null = null;

  /**
   * Send one request; a worker that is gone is restarted once and the request sent again; then fall back or
   * stop. Several requests are in flight: only the first to see the current worker die handles it (restart,
   * fallback or stop, with the reason it died of); the others, whose worker was already replaced or is being
   * replaced, wait for that and go again — so the outcome and its reason do not depend on which request saw
   * the death first.
   */
  async function send(header: Record<string, unknown>, blobs: Uint8Array[]): Promise<Frame | null> {
    for (;;) {
      if (fallen) return null;
      if (restarting) { await restarting; continue; }
      const used = proc;
      try {
        if (!used) throw new WorkerGone(lastWhy);
        const reply = await used.request({ ...header, id: nextId++ }, blobs, o.timeoutMs);
        // A device left unusable (a CUDA error) fails every item while the process lives on: treat it as gone.
        const items = reply.header.items as { ok: boolean; reason?: string; message?: string }[] | undefined;
        const gpuFailed = Array.isArray(items) && items.length > 0 && items.every((it) => !it.ok && it.reason === 'image.gpu');
        failedBatches = gpuFailed ? failedBatches + 1 : 0;
        if (failedBatches >= BROKEN_AFTER) {
          failedBatches = 0;
          throw new WorkerGone(`the GPU worker failed every image of ${BROKEN_AFTER} batches in a row on the device (last: ${items![0].message ?? 'image.gpu'})`);
        }
        return reply;
      } catch (e) {
        if (!(e instanceof WorkerGone)) throw e;
        if (used && used !== proc) continue; // that worker was already replaced, or is being replaced: go again
        if (used) lastWhy = e.message;
        proc = null;
        await used?.close().catch(() => undefined);
        if (!restarted) {
          restarted = true;
          o.log.warn(`compute: ${lastWhy} — restarting it once`);
          let started = () => {};
          restarting = new Promise<void>((res) => (started = res));
          try {
            const again = await startWorker(o);
            if ('proc' in again) { proc = again.proc; continue; }
            o.log.warn(`compute: the GPU worker could not be restarted: ${again.error}`);
          } finally {
            restarting = null;
            started();
          }
        }
        if (fallen) return null;
        const why = lastWhy;
        if (o.fallback === 'cpu') {
          o.log.warn(`compute: switching to the cpu backend for the rest of the run (compute.fallback: cpu) — ${why}`);
          fallen = { backend: o.cpu(), why };
          return null;
        }
        throw new ShardloomError('COMPUTE_FAILED', `${why}; it was restarted once already. The run stops (finished shards are kept; --resume continues). Set compute.fallback: cpu to go on with the cpu backend instead.`);
      }
    }
  }

  async function tileImages(batch: readonly ImageJob[]): Promise<ItemResult<TiledImage>[]> {
    if (fallen) return fallen.backend.tileImages(batch);
    const prepared = await Promise.all(batch.map((j) => settle(() => prepareImage(j.bytes, j.opts), 'image.error')));
    const ready = prepared.flatMap((p) => (p.ok ? [p.value] : []));
    const reply = ready.length ? await send({ op: 'tile', items: ready.map((p) => p.item) }, ready.map((p) => p.blob)) : { header: { items: [] }, blobs: [] };
    if (!reply) return fallen!.backend.tileImages(batch);
    const tiles = splitReply(reply, ready.length, 'image.gpu');
    let k = 0;
    return Promise.all(prepared.map(async (p): Promise<ItemResult<TiledImage>> => {
      if (!p.ok) return p;
      const t = tiles[k++];
      if (!t.ok) return t;
      if (p.value.encoding !== 'png') return { ok: true, value: { grid: p.value.grid, tiles: t.value } };
      return settle(async () => ({ grid: p.value.grid, tiles: await Promise.all(t.value.map((raw) => encodeTile(raw, p.value.opts.tileSize, p.value.opts))) }), 'image.encode');
    }));
  }

  async function tileFrames(batch: readonly FrameJob[]): Promise<ItemResult<Uint8Array>[]> {
    if (fallen) return fallen.backend.tileFrames(batch);
    const items = batch.map((j) => ({ width: j.frame.width, height: j.frame.height, tileSize: j.opts.tileSize, encoding: j.opts.encoding === 'png' ? 'raw' : j.opts.encoding, quality: j.opts.quality }));
    const reply = await send({ op: 'frames', items }, batch.map((j) => j.frame.data.subarray(0, j.frame.width * j.frame.height * 3)));
    if (!reply) return fallen!.backend.tileFrames(batch);
    const tiles = splitReply(reply, batch.length, 'video.error');
    return Promise.all(tiles.map(async (t, i): Promise<ItemResult<Uint8Array>> => {
      if (!t.ok) return t;
      if (batch[i].opts.encoding !== 'png') return { ok: true, value: t.value[0] };
      return settle(() => encodeTile(t.value[0], batch[i].opts.tileSize, batch[i].opts), 'video.error');
    }));
  }

  // tileImage calls made in the same turn of the event loop go out as one batch.
  const queue = new BatchQueue<ImageJob, TiledImage>({ maxItems: o.batchSize, maxInFlight: 2 }, tileImages);
  let flushScheduled = false;

  const backend = {
    name: 'gpu' as const,
    get encoder() { return fallen ? fallen.backend.encoder : encoder; },
    frames: 'gpu' as const,
    batching: { maxItems: o.batchSize, maxInFlight: 2 },
    tileImages,
    tileFrames,
    tileImage(bytes: Uint8Array, opts: TileOptions): Promise<TiledImage> {
      if (fallen) return fallen.backend.tileImage(bytes, opts);
      const p = queue.push({ bytes, opts });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(() => { flushScheduled = false; queue.flush(); });
      }
      return p;
    },
    get fallenBack() { return fallen ? fallen.why : null; },
    /** What the shards' metadata says about where the pixels were made. */
    get description() { return fallen ? `gpu ${where}, then cpu (fallback: ${fallen.why})` : `gpu ${where}`; },
    async close() {
      await proc?.close().catch(() => undefined);
      await fallen?.backend.close();
    },
  };
  return backend;
}
