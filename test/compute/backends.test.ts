/**
 * Backend selection and ffmpeg discovery, with fake ffmpeg scripts (this machine has no GPU), and the exact
 * argument lists the cuda backend gives ffmpeg.
 */
import { describe, expect, test } from 'vitest';
import { writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCompute, probeCuda, CUDA_PROBE_ARGS } from '../../src/compute/index.js';
import { cudaTileArgs } from '../../src/compute/cuda.js';
import { describeTileEncoder } from '../../src/compute/cpu.js';
import { findBinary } from '../../src/compute/ffmpeg.js';
import type { Logger } from '../../src/core/log.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
function fakeFfmpeg(name: string, script: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const p = join(d, 'ffmpeg');
  writeFileSync(p, `#!/bin/sh\n${script}\n`);
  chmodSync(p, 0o755);
  return p;
}
const logs: string[] = [];
const log: Logger = { debug() {}, info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };

describe('backend selection', () => {
  const noCuda = fakeFfmpeg('nocuda', 'echo "Failed to create CUDA device: no CUDA-capable device is detected" >&2; exit 1');
  const withCuda = fakeFfmpeg('cuda', 'echo "$@" > "$(dirname "$0")/args"; exit 0');

  test('auto falls back to the cpu backend and says why', async () => {
    logs.length = 0;
    const b = await createCompute({ backend: 'auto' }, log, { FFMPEG_PATH: noCuda, PATH: '' });
    expect(b.name).toBe('cpu');
    expect(logs.join('\n')).toMatch(/compute: cpu backend \(sharp\/libvips\) — no CUDA: .*cannot initialise a CUDA device: Failed to create CUDA device: no CUDA-capable device is detected; \d+ tiling thread\(s\); JPEG tiles: /);
    await b.close();
    // Which encoder depends on the machine (libturbojpeg0 or not): the log says the one this machine has.
    expect(logs.join('\n')).toContain(`JPEG tiles: ${describeTileEncoder()}`);
  });

  test('cuda where there is none is a clear error; cpu never probes', async () => {
    await expect(createCompute({ backend: 'cuda' }, log, { FFMPEG_PATH: noCuda, PATH: '' })).rejects.toThrow(/compute.backend is "cuda" but .* cannot initialise a CUDA device.*Use "auto" to fall back/);
    expect((await createCompute({ backend: 'cpu' }, log, { FFMPEG_PATH: '/nonexistent' })).name).toBe('cpu');
  });

  test('auto picks cuda when a device initialises, probing with the documented arguments', async () => {
    logs.length = 0;
    const b = await createCompute({ backend: 'auto' }, log, { FFMPEG_PATH: withCuda, PATH: '' });
    expect(b.name).toBe('cuda');
    expect(logs[0]).toMatch(/compute: cuda backend \(NVDEC \+ scale_cuda/);
    // Video frames have no GPU path yet: the backend says so, in the log and in `frames`.
    expect(logs[0]).toMatch(/video frames: CPU fallback \(the cuda backend has no frame path/);
    expect(b.frames).toBe('cpu');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(dir, 'cuda', 'args'), 'utf8').trim()).toBe(CUDA_PROBE_ARGS.join(' '));
  });

  test('on this machine (no GPU) auto chooses cpu', () => {
    expect(probeCuda().ok).toBe(false);
  });
});

describe('ffmpeg discovery: FFMPEG_PATH, then PATH, then the bundled binary', () => {
  test('order and errors', () => {
    const onPath = fakeFfmpeg('onpath', 'exit 0');
    expect(findBinary('ffmpeg', { FFMPEG_PATH: onPath })).toEqual({ path: onPath, from: 'env' });
    expect(findBinary('ffmpeg', { PATH: join(dir, 'onpath') })).toEqual({ path: onPath, from: 'PATH' });
    const bundled = findBinary('ffmpeg', { PATH: '' });
    expect(bundled.from).toBe('bundled');
    expect(bundled.path).toMatch(/@ffmpeg-installer/);
    expect(findBinary('ffprobe', { PATH: '' }).path).toMatch(/@ffprobe-installer/); // made executable if npm did not
    expect(() => findBinary('ffmpeg', { FFMPEG_PATH: join(dir, 'nope') })).toThrow(/FFMPEG_PATH=.*nope is not an executable file/);
  });
});

describe('cuda backend: the ffmpeg arguments', () => {
  test('JPEG through NVDEC: one decode, split into the grid and the thumbnail, bicubic scale_cuda', () => {
    expect(cudaTileArgs('jpeg', [{ width: 1344, height: 896 }, { width: 448, height: 448 }])).toEqual({
      input: ['-hwaccel', 'cuda', '-hwaccel_device', '0', '-hwaccel_output_format', 'cuda', '-c:v', 'mjpeg_cuvid', '-f', 'image2pipe'],
      filter: '[0:v]split=2[s0][s1];[s0]scale_cuda=1344:896:interp_algo=bicubic,hwdownload,format=nv12,format=rgb24[o0];[s1]scale_cuda=448:448:interp_algo=bicubic,hwdownload,format=nv12,format=rgb24[o1]',
      output: ['-map', '[o0]', '-map', '[o1]', '-f', 'rawvideo', '-pix_fmt', 'rgb24'],
    });
  });

  test('other formats are decoded on the CPU and uploaded; one output has no split', () => {
    expect(cudaTileArgs('png', [{ width: 448, height: 448 }], 1)).toEqual({
      input: ['-init_hw_device', 'cuda=gpu:1', '-filter_hw_device', 'gpu', '-f', 'image2pipe'],
      filter: '[0:v]format=nv12,hwupload_cuda,scale_cuda=448:448:interp_algo=bicubic,hwdownload,format=nv12,format=rgb24[o0]',
      output: ['-map', '[o0]', '-f', 'rawvideo', '-pix_fmt', 'rgb24'],
    });
  });
});
