/**
 * The gpu backend's worker dying, hanging or left with an unusable device (the worker's fault hooks,
 * docs/gpu-protocol.md), run for real on the CPU: restarted once, then the run stops (COMPUTE_FAILED) or goes on
 * with the cpu backend under `fallback: cpu`. In the e2e suite: the deadlines make it slow-ish.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { cpuBackend } from '../../src/compute/cpu.js';
import { gpuLogs, gpuOnCpu, requireTorch } from '../helpers/gpu.js';

const photo = readFileSync('sample-data/images/board.jpg');
const raw = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'raw' as const, quality: 95, maxBytes: 50e6, maxPixels: 1e9 };
const logs = gpuLogs;
const cpu = cpuBackend();

beforeAll(requireTorch);
const gpu = gpuOnCpu;

describe('a worker that dies or hangs', () => {
  const img = () => sharp(photo).resize(500, 300).jpeg().toBuffer();

  test('dies: restarted once and the batch sent again; dies again: the run stops with a clear, resumable error', async () => {
    logs.length = 0;
    // Each worker process dies at its 2nd tile request: batch 1 ok; batch 2 kills the first worker, is resent to
    // the restarted one (its 1st: ok); batch 3 kills the second worker — no restart left.
    const b = await gpu({}, { ...process.env, SHARDLOOM_GPU_WORKER_FAULT: 'crash:2' });
    try {
      const x = await img();
      expect((await b.tileImages([{ bytes: x, opts: raw }]))[0].ok).toBe(true);
      expect((await b.tileImages([{ bytes: x, opts: raw }]))[0].ok).toBe(true);
      expect(logs.join('\n')).toMatch(/the GPU worker exited with code 70.* — restarting it once/);
      await expect(b.tileImages([{ bytes: x, opts: raw }])).rejects.toMatchObject({ code: 'COMPUTE_FAILED', message: expect.stringMatching(/exited with code 70.*; it was restarted once already\. The run stops .*--resume.*compute\.fallback: cpu/) });
      // Through the single-image path (what the media stage calls), the same error, not a per-image reject.
      await expect(b.tileImage(x, raw)).rejects.toMatchObject({ code: 'COMPUTE_FAILED' });
    } finally {
      await b.close();
    }
  }, 120_000);

  test('requests in flight when the worker dies: one restart, and the reason it died of, whichever request saw it', async () => {
    logs.length = 0;
    // Each worker dies at its first tile request. A request kills the first worker; a second starts while the
    // replacement is starting (Python importing torch takes a while): it waits for it rather than judging the
    // dead worker on its own (it used to fall back at once, "the GPU worker is not running").
    const b = await gpu({ fallback: 'cpu' }, { ...process.env, SHARDLOOM_GPU_WORKER_FAULT: 'crash:1' });
    try {
      const x = await img();
      const early = [b.tileImages([{ bytes: x, opts: raw }])];
      while (!logs.some((l) => /restarting it once/.test(l))) await new Promise((r) => setTimeout(r, 2));
      const late = b.tileImages([{ bytes: x, opts: raw }]);
      const got = await Promise.all([...early, late]);
      expect(got.map((r) => r[0].ok)).toEqual([true, true]);
      expect(logs.filter((l) => /restarting it once/.test(l))).toHaveLength(1);
      expect(logs.join('\n')).not.toMatch(/is not running/);
      expect(b.description).toMatch(/^gpu cpu, then cpu \(fallback: the GPU worker exited with code 70/);
    } finally {
      await b.close();
    }
  }, 120_000);

  test('a device left unusable (every item fails on it, batch after batch) counts as a dead worker', async () => {
    logs.length = 0;
    const b = await gpu({ fallback: 'cpu', threads: 1 }, { ...process.env, SHARDLOOM_GPU_WORKER_FAULT: 'gpufail:1' });
    try {
      const x = await img();
      // Batches 1–2 fail their items (image.gpu: rejects, as a bad image would be); the 3rd in a row makes the
      // worker gone: restarted (it fails again: 3 more) and then the cpu backend takes over.
      for (let i = 0; i < 2; i++) expect((await b.tileImages([{ bytes: x, opts: raw }]))[0]).toMatchObject({ ok: false, error: { reason: 'image.gpu' } });
      expect((await b.tileImages([{ bytes: x, opts: raw }]))[0].ok).toBe(false);
      for (let i = 0; i < 3; i++) await b.tileImages([{ bytes: x, opts: raw }]);
      expect(logs.join('\n')).toMatch(/failed every image of 3 batches in a row on the device .*restarting it once/);
      expect(logs.join('\n')).toMatch(/switching to the cpu backend/);
      expect((await b.tileImages([{ bytes: x, opts: raw }]))[0].ok).toBe(true);
    } finally {
      await b.close();
    }
  }, 120_000);

  test('hangs past its deadline: killed, restarted, and with fallback: cpu the run goes on on the cpu backend, saying so', async () => {
    logs.length = 0;
    const b = await gpu({ fallback: 'cpu', timeoutSeconds: 3, threads: 1 }, { ...process.env, SHARDLOOM_GPU_WORKER_FAULT: 'hang:1' });
    try {
      const x = await img();
      const [r] = await b.tileImages([{ bytes: x, opts: raw }]);
      const [w] = await cpu.tileImages([{ bytes: x, opts: raw }]);
      expect(r.ok && w.ok && r.value.tiles.every((t, k) => Buffer.from(t).equals(w.value.tiles[k]))).toBe(true); // the cpu backend's bytes
      const text = logs.join('\n');
      expect(text).toMatch(/did not answer within 3 s \(hung; killed\).* — restarting it once/);
      expect(text).toMatch(/switching to the cpu backend for the rest of the run \(compute\.fallback: cpu\)/);
      expect(b.description).toMatch(/^gpu cpu, then cpu \(fallback: .*did not answer within 3 s/);
      expect(b.encoder).toBe(cpu.encoder);
    } finally {
      await b.close();
    }
  }, 120_000);
});
