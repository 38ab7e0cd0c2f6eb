/**
 * The batch contract of ComputeBackend (src/compute/types.ts): results in input order, a MediaError per failed
 * item while the rest of the batch succeeds, a bounded number of batches in flight (BatchQueue), the
 * single-image call as a batch of one; and the module
 * boundary (compute/ imports nothing from media/, media/ reaches compute/ only through compute/index.ts).
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cpuBackend } from '../../src/compute/cpu.js';
import { BatchQueue, MediaError, frameQueue, type ComputeBackend, type FrameJob, type ItemResult } from '../../src/compute/index.js';
import { MediaError as MediaErrorFromMedia } from '../../src/media/errors.js';

const photo = readFileSync('sample-data/images/board.jpg');
const opts = { minTiles: 1, maxTiles: 6, tileSize: 448, encoding: 'jpeg' as const, quality: 95, maxBytes: 50e6, maxPixels: 100e6 };
const frameOpts = { tileSize: 224, encoding: 'jpeg' as const, quality: 90 };
const backend = cpuBackend();

async function rgbFrame(w: number, h: number) {
  const data = await sharp(photo).resize(w, h, { fit: 'fill' }).raw().toBuffer();
  return { data, width: w, height: h };
}
const summary = (rs: ItemResult<unknown>[]) => rs.map((r) => (r.ok ? 'ok' : `${r.error instanceof MediaError ? '' : 'not a MediaError: '}${r.error.reason}`));

describe('cpu backend: batches', () => {
  test('images: results in input order, a failed item is its MediaError, the others succeed — as tileImage gives them', async () => {
    const small = await sharp(photo).resize(300, 200).jpeg().toBuffer();
    const rs = await backend.tileImages([
      { bytes: photo, opts },
      { bytes: Buffer.from('not an image at all'), opts },
      { bytes: small, opts: { ...opts, maxTiles: 1, tileSize: 224 } },
      { bytes: photo.subarray(0, photo.length >> 1), opts },
      { bytes: new Uint8Array(0), opts },
    ]);
    expect(summary(rs)).toEqual(['ok', 'image.decode', 'ok', 'image.truncated', 'image.empty']);
    const one = await backend.tileImage(photo, opts);
    const first = rs[0] as { ok: true; value: typeof one };
    expect(first.value.grid).toEqual(one.grid);
    expect(first.value.tiles.map((t, i) => Buffer.compare(t, one.tiles[i]))).toEqual(one.tiles.map(() => 0));
    const third = rs[2] as { ok: true; value: typeof one };
    expect(third.value.tiles).toHaveLength(1);
    expect(await sharp(third.value.tiles[0]).metadata()).toMatchObject({ width: 224, height: 224 });
    // The single call throws the item's error (the same class media/ re-exports).
    await expect(backend.tileImage(Buffer.from('nope'), opts)).rejects.toBeInstanceOf(MediaErrorFromMedia);
  });

  test('frames: one tile of the asked size per frame, in order; a bad frame fails alone', async () => {
    const a = await rgbFrame(320, 240);
    const b = await rgbFrame(224, 224);
    const jobs: FrameJob[] = [
      { frame: a, opts: frameOpts },
      { frame: { data: a.data.subarray(0, 1000), width: 320, height: 240 }, opts: frameOpts },
      { frame: b, opts: { ...frameOpts, encoding: 'raw' } },
      { frame: a, opts: { ...frameOpts, tileSize: 0 } },
    ];
    const rs = await backend.tileFrames(jobs);
    expect(summary(rs)).toEqual(['ok', 'video.error', 'ok', 'video.error']);
    expect(await sharp((rs[0] as { value: Uint8Array }).value).metadata()).toMatchObject({ format: 'jpeg', width: 224, height: 224 });
    // Already the tile size: the pixels as they are, in a buffer of the caller's own.
    const raw = (rs[2] as { value: Uint8Array }).value;
    expect(Buffer.compare(raw, b.data)).toBe(0);
    expect(raw.buffer).not.toBe(b.data.buffer);
  });

});

describe('BatchQueue', () => {
  /** A backend-like runner that finishes batches out of order and records what it got. */
  function runner(limits = { maxItems: 3, maxInFlight: 2 }) {
    const seen: number[][] = [];
    let inFlight = 0;
    let maxSeen = 0;
    const q = new BatchQueue<number, string>(limits, async (jobs) => {
      seen.push(jobs);
      maxSeen = Math.max(maxSeen, ++inFlight);
      await new Promise((r) => setTimeout(r, 2 + ((jobs[0] * 7) % 5) * 4));
      inFlight--;
      return jobs.map((j) => (j % 5 === 4 ? { ok: false as const, error: new MediaError('test.bad', `item ${j}`) } : { ok: true as const, value: `v${j}` }));
    });
    return { q, seen, maxSeen: () => maxSeen };
  }

  test('batches of maxItems (flush sends the rest), at most maxInFlight at once, each item its own result', async () => {
    const { q, seen, maxSeen } = runner();
    const ps = Array.from({ length: 11 }, (_, i) => q.push(i));
    q.flush();
    const got = await Promise.all(ps.map((p) => p.then((v) => v, (e: MediaError) => e.reason)));
    expect(got).toEqual(['v0', 'v1', 'v2', 'v3', 'test.bad', 'v5', 'v6', 'v7', 'v8', 'test.bad', 'v10']);
    expect(seen.map((b) => b.length)).toEqual([3, 3, 3, 2]);
    expect(seen.flat()).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(maxSeen()).toBe(2);
  });

  test('hasRoom / whenRoom let a producer wait instead of piling up batches', async () => {
    const { q } = runner({ maxItems: 1, maxInFlight: 2 });
    void q.push(0);
    expect(q.hasRoom).toBe(true);
    void q.push(1);
    expect(q.hasRoom).toBe(false);
    void q.push(2); // accepted, waits in the queue
    await q.whenRoom();
    expect(q.hasRoom).toBe(true);
  });

  test('a batch that throws, rejects or answers the wrong number of items fails each of its items with a retryable compute.batch', async () => {
    for (const run of [
      () => { throw new Error('worker gone'); },
      async () => { throw new Error('worker gone'); },
      async () => [{ ok: true as const, value: 'only one' }],
    ] as ((jobs: number[]) => Promise<ItemResult<string>[]>)[]) {
      const q = new BatchQueue<number, string>({ maxItems: 2, maxInFlight: 1 }, run);
      const errs = await Promise.all([q.push(1), q.push(2)].map((p) => p.then(() => null, (e: MediaError) => e)));
      expect(errs.map((e) => [e instanceof MediaError, e?.reason, e?.retryable])).toEqual([[true, 'compute.batch', true], [true, 'compute.batch', true]]);
    }
  });

  test('frameQueue batches as the backend asks', async () => {
    const sizes: number[] = [];
    const fake = { ...backend, batching: { maxItems: 2, maxInFlight: 1 }, tileFrames: async (b: readonly FrameJob[]) => (sizes.push(b.length), b.map(() => ({ ok: true as const, value: new Uint8Array(1) }))) } as ComputeBackend;
    const q = frameQueue(fake);
    const f = await rgbFrame(8, 8);
    const ps = [1, 2, 3].map(() => q.push({ frame: f, opts: frameOpts }));
    q.flush();
    await Promise.all(ps);
    expect(sizes).toEqual([2, 1]);
  });
});

test('module boundary: compute/ imports nothing from media/; media/ imports compute/ only through compute/index.ts', () => {
  const imports = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).flatMap((f) => {
    const src = readFileSync(join(dir, f), 'utf8');
    return [...src.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => `${f}: ${m[1]}`);
  });
  expect(imports('src/compute').filter((l) => /media\//.test(l))).toEqual([]);
  expect(imports('src/media').filter((l) => /compute\//.test(l) && !/'?\.\.\/compute\/index\.js$/.test(l))).toEqual([]);
});
