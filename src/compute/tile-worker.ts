/**
 * A tiling thread (threads.ts starts them): one image's decode → resize → encode end to end, or one video
 * frame's resize → encode, with this thread's own resampler memory and JPEG encoder handles — the same code
 * as the cpu backend in the calling thread (cpu.ts), so the same bytes. A job's tiles go back as one
 * transferred buffer (no copy) with their lengths; a failure goes back as the item's MediaError fields.
 */
import { parentPort } from 'node:worker_threads';
import { tileFrameCpu, tileImageCpu } from './cpu.js';
import { asMediaError } from './batch.js';
import type { FrameTileOptions, TileOptions } from './types.js';

export type TileRequest =
  | { id: number; kind: 'image'; bytes: Uint8Array; opts: TileOptions }
  | { id: number; kind: 'frame'; data: Uint8Array; width: number; height: number; opts: FrameTileOptions };

export type TileReply =
  | { id: number; ok: true; grid?: { cols: number; rows: number; thumbnail: boolean }; buffer: ArrayBuffer; lengths: number[] }
  | { id: number; ok: false; reason: string; message: string; retryable: boolean };

/** The tiles in one new buffer, back to back (what is transferred to the calling thread). */
function concat(tiles: Uint8Array[]): { buffer: ArrayBuffer; lengths: number[] } {
  let n = 0;
  for (const t of tiles) n += t.byteLength;
  const out = new Uint8Array(new ArrayBuffer(n));
  let at = 0;
  for (const t of tiles) { out.set(t, at); at += t.byteLength; }
  return { buffer: out.buffer, lengths: tiles.map((t) => t.byteLength) };
}

async function handle(m: TileRequest): Promise<TileReply> {
  try {
    if (m.kind === 'image') {
      const r = await tileImageCpu(m.bytes, m.opts);
      return { id: m.id, ok: true, grid: r.grid, ...concat(r.tiles) };
    }
    const tile = await tileFrameCpu({ data: m.data, width: m.width, height: m.height }, m.opts);
    return { id: m.id, ok: true, ...concat([tile]) };
  } catch (e) {
    const err = asMediaError(e, m.kind === 'image' ? 'image.error' : 'video.error');
    return { id: m.id, ok: false, reason: err.reason, message: err.message, retryable: err.retryable };
  }
}

/** Test hook (test/compute/threads.test.ts): an image of exactly this many bytes makes the thread exit, as a native crash would. */
const exitOn = Number(process.env.SHARDLOOM_TEST_TILE_WORKER_EXIT) || -1;

/**
 * One item at a time: the thread is one CPU's worth of work, so overlapping items would only add resampler
 * memories (one per image in progress) and cache misses. Items wait here in the order they came.
 */
let queue: Promise<void> = Promise.resolve();

parentPort?.on('message', (m: TileRequest) => {
  if (m.kind === 'image' && m.bytes.length === exitOn) process.exit(70);
  queue = queue.then(() => handle(m)).then((reply) => parentPort!.postMessage(reply, reply.ok ? [reply.buffer] : []));
});
