/**
 * Pixels off the calling thread: a pool of tiling threads (tile-worker.ts), each running the cpu backend's
 * code end to end for one item at a time — decode, resize with its own resampler memory, encode with its own
 * JPEG handles — so the thread that reads, mixes and packs only posts bytes and receives tiles. A job goes
 * to the thread with the fewest outstanding jobs; each job has its own promise, so results come back in the
 * order they were asked for whichever thread finished first, and the bytes are the same as in one thread.
 *
 * A thread that dies (a native crash in a decoder, out of memory) fails only its outstanding items, with a
 * retryable `compute.worker` error, and is replaced; three deaths in a row with no job finished in between
 * make the pool unusable (every later call rejects — the backend contract's "unusable" case). Idle threads
 * do not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { workerScript } from '../core/worker-script.js';
import type { TiledImage } from '../core/model.js';
import { MediaError } from './errors.js';
import type { TileReply, TileRequest } from './tile-worker.js';
import type { FrameJob, ImageJob, ItemResult } from './types.js';

interface Job { resolve: (r: ItemResult<TileReplyValue>) => void }
interface TileReplyValue { grid?: TiledImage['grid']; tiles: Buffer[] }
type RequestBody = TileRequest extends infer R ? (R extends TileRequest ? Omit<R, 'id'> : never) : never;

interface Thread { worker: Worker; pending: Map<number, Job> }

export interface TilingThreads {
  readonly size: number;
  tileImages(batch: readonly ImageJob[]): Promise<ItemResult<TiledImage>[]>;
  tileFrames(batch: readonly FrameJob[]): Promise<ItemResult<Uint8Array>[]>;
  close(): Promise<void>;
}

const MAX_CONSECUTIVE_DEATHS = 3;

export function tilingThreads(size: number, env: NodeJS.ProcessEnv = process.env): TilingThreads {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`tiling threads: size must be a positive integer, got ${size}`);
  const url = workerScript('compute/tile-worker.js');
  const threads: Thread[] = [];
  let nextId = 0;
  let deaths = 0;
  let broken: Error | null = null;
  let closed = false;

  const settleReply = (t: Thread, m: TileReply) => {
    const job = t.pending.get(m.id);
    if (!job) return;
    t.pending.delete(m.id);
    if (t.pending.size === 0) t.worker.unref();
    deaths = 0;
    if (!m.ok) return job.resolve({ ok: false, error: new MediaError(m.reason, m.message, { retryable: m.retryable }) });
    const tiles: Buffer[] = [];
    let at = 0;
    for (const n of m.lengths) { tiles.push(Buffer.from(m.buffer, at, n)); at += n; }
    job.resolve({ ok: true, value: { grid: m.grid, tiles } });
  };

  const start = (slot: number) => {
    const t: Thread = { worker: new Worker(url, { env }), pending: new Map() };
    t.worker.unref();
    t.worker.on('message', (m: TileReply) => settleReply(t, m));
    const died = (why: string) => {
      if (threads[slot] !== t) return;
      const error = new MediaError('compute.worker', `a tiling thread stopped (${why}) while working on this item`, { retryable: true });
      for (const job of t.pending.values()) job.resolve({ ok: false, error });
      t.pending.clear();
      if (closed) return;
      if (++deaths >= MAX_CONSECUTIVE_DEATHS) {
        broken = new Error(`tiling threads died ${deaths} times in a row (last: ${why}); the cpu backend cannot continue`);
        return;
      }
      start(slot);
    };
    t.worker.on('error', (e) => died(e.message));
    t.worker.on('exit', (code) => died(`exit code ${code}`));
    threads[slot] = t;
  };
  for (let i = 0; i < size; i++) start(i);

  const submit = (body: RequestBody, transfer: ArrayBuffer[] = []): Promise<ItemResult<TileReplyValue>> => {
    if (broken) return Promise.reject(broken);
    if (closed) return Promise.reject(new Error('tiling threads are closed'));
    let t = threads[0];
    for (const x of threads) if (x.pending.size < t.pending.size) t = x;
    const id = nextId++;
    return new Promise((resolve) => {
      t.pending.set(id, { resolve });
      t.worker.ref();
      t.worker.postMessage({ id, ...body } as TileRequest, transfer);
    });
  };

  return {
    size,
    tileImages: (batch) =>
      Promise.all(batch.map((j) => submit({ kind: 'image', bytes: j.bytes, opts: j.opts }).then((r): ItemResult<TiledImage> =>
        (r.ok ? { ok: true, value: { grid: r.value.grid!, tiles: r.value.tiles } } : r)))),
    tileFrames: (batch) =>
      Promise.all(batch.map((j) => submit({ kind: 'frame', data: j.frame.data, width: j.frame.width, height: j.frame.height, opts: j.opts }).then((r): ItemResult<Uint8Array> =>
        (r.ok ? { ok: true, value: r.value.tiles[0] } : r)))),
    async close() {
      closed = true;
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
