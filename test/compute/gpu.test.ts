/**
 * The gpu backend, run for real with its worker on the CPU (`device: cpu`, Debian's python3-torch and
 * python3-torchvision, installed by .ci/run): the pipe's framing, grids identical to the cpu backend's and
 * pixels within the parity bound, per-image errors with the cpu backend's reasons, batches gathered from
 * concurrent calls, video frames, and a worker that dies or hangs — restarted once, then the run stops, or
 * goes on with the cpu backend under `fallback: cpu`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { cpuBackend } from '../../src/compute/cpu.js';
import { encodeFrame, FrameReader } from '../../src/compute/gpu-process.js';
import type { ComputeBackend } from '../../src/compute/types.js';
import { gpuLogs, gpuOnCpu, requireTorch } from '../helpers/gpu.js';
import { psnr } from '../helpers/media.js';

const photo = readFileSync('sample-data/images/board.jpg');
const raw = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'raw' as const, quality: 95, maxBytes: 50e6, maxPixels: 1e9 };
const jpeg = { ...raw, encoding: 'jpeg' as const };
const logs = gpuLogs;
const cpu = cpuBackend();

beforeAll(requireTorch);
const gpu = gpuOnCpu;

describe('the pipe', () => {
  test('frames survive any chunking: header, JSON, blobs', () => {
    const parts = Buffer.concat(encodeFrame({ op: 'tile', id: 3 }, [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('defgh')]));
    const two = Buffer.concat([parts, Buffer.concat(encodeFrame({ op: 'pong', id: 4 }))]);
    for (const step of [1, 2, 5, 7, two.length]) {
      const r = new FrameReader();
      const got = [];
      for (let i = 0; i < two.length; i += step) got.push(...r.push(two.subarray(i, i + step)));
      expect(got.map((f) => [f.header.op, f.header.id, f.blobs.map((b) => b.toString())])).toEqual([['tile', 3, ['abc', '', 'defgh']], ['pong', 4, []]]);
    }
  });
});

describe('gpu backend, worker on the CPU', () => {
  let b: ComputeBackend;
  const images: Record<string, Buffer> = {};
  beforeAll(async () => {
    b = await gpu();
    images.enlarged = await sharp(photo).resize(700, 400).jpeg({ quality: 92 }).toBuffer();
    images.shrunk = await sharp(photo).resize(2300, 900).jpeg({ quality: 90 }).toBuffer();
    images.grey = await sharp(photo).resize(500, 800).greyscale().jpeg().toBuffer();
    images.rotated = await sharp(photo).resize(600, 300).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    images.png = await sharp(photo).resize(640, 480).png().toBuffer();
  }, 120_000);
  afterAll(() => b?.close());

  test('it is the gpu backend on the worker, and says so', () => {
    expect([b.name, b.frames]).toEqual(['gpu', 'gpu']);
    expect(b.description).toMatch(/^gpu cpu/);
    expect(logs.join('\n')).toMatch(/compute: gpu backend on cpu — torch \S+, torchvision \S+; decode CPU \(torchvision\)/);
  });

  test('grids identical to the cpu backend; raw tiles ≥ 35 dB from its (PIL-exact) pixels — plain JPEGs decoded by the worker, the rest here', async () => {
    const names = Object.keys(images);
    const got = await b.tileImages(names.map((n) => ({ bytes: images[n], opts: raw })));
    const want = await cpu.tileImages(names.map((n) => ({ bytes: images[n], opts: raw })));
    for (const [i, n] of names.entries()) {
      const g = got[i], w = want[i];
      if (!g.ok || !w.ok) throw new Error(`${n}: ${!g.ok ? g.error.message : ''} ${!w.ok ? w.error.message : ''}`);
      expect({ n, grid: g.value.grid, tiles: g.value.tiles.length }).toEqual({ n, grid: w.value.grid, tiles: w.value.tiles.length });
      const ps = g.value.tiles.map((t, k) => psnr(t, w.value.tiles[k]));
      expect({ n, worst: Math.min(...ps) >= 35 }).toEqual({ n, worst: true });
    }
  });

  test('JPEG tiles decode as 448² JPEGs; per-image errors carry the cpu backend\'s reasons and leave the batch alone', async () => {
    const cut = images.enlarged.subarray(0, images.enlarged.length >> 1);
    // A whole JPEG whose Huffman tables are zeroed: its structure is complete, the decoder refuses it.
    const broken = Buffer.from(images.enlarged);
    for (let i = 2; i + 4 < broken.length; ) {
      const len = broken.readUInt16BE(i + 2);
      if (broken[i + 1] === 0xc4) broken.fill(0, i + 4, i + 2 + len);
      if (broken[i + 1] === 0xda) break;
      i += 2 + len;
    }
    const res = await b.tileImages([images.enlarged, cut, Buffer.from('<html>no</html>'), broken, Buffer.alloc(0), images.png].map((bytes) => ({ bytes, opts: jpeg })));
    expect(res.map((r) => (r.ok ? 'ok' : r.error.reason))).toEqual(['ok', 'image.truncated', 'image.decode', 'image.decode', 'image.empty', 'ok']);
    const first = res[0].ok ? res[0].value.tiles[0] : null;
    const m = await sharp(Buffer.from(first!)).metadata();
    expect([m.format, m.width, m.height]).toEqual(['jpeg', 448, 448]);
  });

  test('concurrent single-image calls are gathered into batches; results in the order asked', async () => {
    const sizes = Array.from({ length: 12 }, (_, i) => [300 + i * 97, 200 + ((i * 131) % 700)]);
    const imgs = await Promise.all(sizes.map(([w, h]) => sharp(photo).resize(w, h, { fit: 'fill' }).jpeg().toBuffer()));
    const res = await Promise.all(imgs.map((x) => b.tileImage(x, raw)));
    const want = await Promise.all(imgs.map((x) => cpu.tileImage(x, raw)));
    expect(res.map((r) => r.grid)).toEqual(want.map((w) => w.grid));
  });

  test('video frames: one tile each, within the parity bound of the cpu backend', async () => {
    const frame = { data: await sharp(photo).resize(320, 180).raw().toBuffer(), width: 320, height: 180 };
    const fo = { tileSize: 448, encoding: 'raw' as const, quality: 90 };
    const [g] = await b.tileFrames([{ frame, opts: fo }]);
    const [w] = await cpu.tileFrames([{ frame, opts: fo }]);
    if (!g.ok || !w.ok) throw new Error('frame failed');
    expect(g.value.length).toBe(448 * 448 * 3);
    expect(psnr(g.value, w.value)).toBeGreaterThanOrEqual(35);
  });
});
