/**
 * Backend selection: `cpu` as asked; `auto` on a machine without an NVIDIA driver takes the cpu backend without
 * starting Python; `auto` where the GPU worker starts but CUDA does not initialise says why and takes the cpu;
 * `gpu` / `cuda` where the worker cannot start is a clear error naming the Python, unless `fallback: cpu`.
 * And ffmpeg discovery (video decoding).
 */
import { describe, expect, test } from 'vitest';
import { writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCompute, nvidiaDriverPresent } from '../../src/compute/index.js';
import { describeTileEncoder } from '../../src/compute/cpu.js';
import { describeResizeKernel } from '../../src/compute/native-resample.js';
import { findBinary } from '../../src/compute/ffmpeg.js';
import type { Logger } from '../../src/core/log.js';
import { tempDir, PYTHON } from '../helpers/tmp.js';

const dir = tempDir();
function fakeBinary(name: string, file: string, script: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const p = join(d, file);
  writeFileSync(p, `#!/bin/sh\n${script}\n`);
  chmodSync(p, 0o755);
  return p;
}
const logs: string[] = [];
const log: Logger = { debug() {}, info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };

describe('backend selection', () => {
  test('cpu as asked: tiling threads, and the JPEG encoder this machine has', async () => {
    logs.length = 0;
    const b = await createCompute({ backend: 'cpu', threads: 2 }, log);
    expect([b.name, b.frames, b.threads]).toEqual(['cpu', 'cpu', 2]);
    expect(logs.join('\n')).toContain(`compute: cpu backend (asked for); 2 tiling thread(s); resize: ${describeResizeKernel()}; JPEG tiles: ${describeTileEncoder()}`);
    await b.close();
  });

  test('auto without an NVIDIA driver takes the cpu backend and never starts Python', async () => {
    logs.length = 0;
    const marker = join(dir, 'python-started');
    const python = fakeBinary('py-marker', 'python', `touch ${marker}; exit 1`);
    const b = await createCompute({ backend: 'auto', python, threads: 1 }, log, { PATH: process.env.PATH });
    if (!nvidiaDriverPresent({})) {
      expect(b.name).toBe('cpu');
      expect(logs.join('\n')).toMatch(/compute: cpu backend — no GPU: no NVIDIA driver on this machine/);
      expect((await import('node:fs')).existsSync(marker)).toBe(false);
    }
    await b.close();
  });

  test('auto where the worker starts but CUDA does not initialise: the cpu backend, saying why', async () => {
    logs.length = 0;
    const b = await createCompute({ backend: 'auto', python: PYTHON, threads: 1 }, log, { ...process.env, SHARDLOOM_ASSUME_NVIDIA: '1', CUDA_VISIBLE_DEVICES: '' });
    expect(b.name).toBe('cpu');
    expect(logs.join('\n')).toMatch(/compute: cpu backend — the GPU worker \(.*python3, device cuda:0\) cannot start: .*CUDA/i);
    await b.close();
  });

  test('gpu (and its alias cuda) where the worker cannot start: a clear error naming the Python; fallback: cpu goes on', async () => {
    const python = fakeBinary('py-broken', 'python', 'echo "ModuleNotFoundError: No module named torch" >&2; exit 1');
    for (const backend of ['gpu', 'cuda'] as const) {
      await expect(createCompute({ backend, python }, log, { PATH: process.env.PATH })).rejects.toMatchObject({
        code: 'COMPUTE_BACKEND',
        message: expect.stringMatching(new RegExp(`compute.backend is "${backend}" but the GPU worker \\(.*py-broken/python, device cuda:0\\) cannot start: .*No module named torch.*compute.fallback: cpu`)),
      });
    }
    await expect(createCompute({ backend: 'gpu', python: join(dir, 'no-such-python') }, log)).rejects.toThrow(/cannot start: .*could not start .*no-such-python: spawn .*ENOENT/);
    logs.length = 0;
    const b = await createCompute({ backend: 'gpu', python, fallback: 'cpu', threads: 1 }, log, { PATH: process.env.PATH });
    expect(b.name).toBe('cpu');
    expect(logs.join('\n')).toMatch(/compute: cpu backend — the GPU worker .* cannot start/);
    await b.close();
  });
});

describe('ffmpeg discovery: FFMPEG_PATH, then PATH, then the bundled binary', () => {
  test('order and errors', () => {
    const onPath = fakeBinary('onpath', 'ffmpeg', 'exit 0');
    expect(findBinary('ffmpeg', { FFMPEG_PATH: onPath })).toEqual({ path: onPath, from: 'env' });
    expect(findBinary('ffmpeg', { PATH: join(dir, 'onpath') })).toEqual({ path: onPath, from: 'PATH' });
    const bundled = findBinary('ffmpeg', { PATH: '' });
    expect(bundled.from).toBe('bundled');
    expect(bundled.path).toMatch(/@ffmpeg-installer/);
    expect(findBinary('ffprobe', { PATH: '' }).path).toMatch(/@ffprobe-installer/); // made executable if npm did not
    expect(() => findBinary('ffmpeg', { FFMPEG_PATH: join(dir, 'nope') })).toThrow(/FFMPEG_PATH=.*nope is not an executable file/);
  });
});
