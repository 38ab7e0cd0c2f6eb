/**
 * The compute module: all pixel work — images and video frames — behind one interface (types.ts), two
 * backends: `cpu` (tiling threads, cpu.ts / threads.ts) and `gpu` (a persistent PyTorch worker per device,
 * gpu.ts). `auto` takes the GPU only when a CUDA device really initialises in the worker, and otherwise says
 * why it did not; `gpu` (or its alias `cuda`) where none does is a clear error, unless `fallback: cpu`.
 *
 * This file is the module's face: media/ imports compute/ only from here. compute/ imports nothing from media/.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Logger } from '../core/log.js';
import { ShardloomError } from '../core/errors.js';
import { cpuBackend, describeTileEncoder } from './cpu.js';
import { describeResizeKernel } from './native-resample.js';
import type { ComputeBackend } from './types.js';

export type { BatchLimits, ComputeBackend, FrameJob, FrameTileOptions, ImageJob, ItemResult, RgbFrame, TileOptions } from './types.js';
export { MediaError } from './errors.js';
export { BatchQueue, frameQueue, type FrameQueue } from './batch.js';
export { planTiles, candidateGrids, type TilePlan, type PlanOptions } from './tiling.js';
export { findBinary, type FoundBinary } from './ffmpeg.js';

/**
 * `threads`: tiling threads of the cpu backend (default: the CPUs this process may use); 0 tiles on the
 * calling thread. The gpu keys: `device` (a CUDA device index, or `cpu` to run the worker on the CPU — how CI
 * tests it), `batchSize` (images per batch, default 32), `python` (default `$SHARDLOOM_PYTHON`, else
 * `python3`), `fallback` (`cpu`: go on with the cpu backend when the GPU worker cannot; default: stop),
 * `timeoutSeconds` (a batch's deadline, default 120).
 */
export interface ComputeConfig {
  backend: 'auto' | 'cpu' | 'gpu' | 'cuda';
  concurrency?: number;
  threads?: number;
  device?: number | 'cpu';
  batchSize?: number;
  python?: string;
  fallback?: 'none' | 'cpu';
  timeoutSeconds?: number;
}

function cpuWithLog(log: Logger, why: string, cfg: ComputeConfig): ComputeBackend {
  const threads = cfg.threads ?? availableParallelism();
  log.info(`${why}; ${threads > 0 ? `${threads} tiling thread(s)` : 'tiling on the main thread'}; resize: ${describeResizeKernel()}; JPEG tiles: ${describeTileEncoder()}`);
  return cpuBackend({ concurrency: cfg.concurrency, threads });
}

/**
 * Is there an NVIDIA driver at all? Checked before `auto` starts a Python worker (seconds of CPU to import
 * torch), so that a CPU-only machine pays nothing. `SHARDLOOM_ASSUME_NVIDIA=1` skips the check (tests).
 */
export function nvidiaDriverPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.SHARDLOOM_ASSUME_NVIDIA === '1') return true;
  return existsSync('/dev/nvidiactl') || existsSync('/proc/driver/nvidia/version');
}

export async function createCompute(cfg: ComputeConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<ComputeBackend> {
  if (cfg.backend === 'cpu') return cpuWithLog(log, 'compute: cpu backend (asked for)', cfg);
  const wantGpu = cfg.backend === 'gpu' || cfg.backend === 'cuda';
  const device = cfg.device === 'cpu' ? 'cpu' : `cuda:${cfg.device ?? 0}`;
  if (!wantGpu && device !== 'cpu' && !nvidiaDriverPresent(env)) return cpuWithLog(log, 'compute: cpu backend — no GPU: no NVIDIA driver on this machine (/dev/nvidiactl)', cfg);
  const python = cfg.python ?? env.SHARDLOOM_PYTHON ?? 'python3';
  const { startWorker, gpuBackend } = await import('./gpu.js'); // loaded only where a GPU is tried
  const threads = cfg.threads ?? availableParallelism();
  const started = await startWorker({ python, device, log, env, threads });
  if ('error' in started) {
    const why = `the GPU worker (${python}, device ${device}) cannot start: ${started.error}`;
    if (wantGpu && cfg.fallback !== 'cpu') throw new ShardloomError('COMPUTE_BACKEND', `compute.backend is "${cfg.backend}" but ${why}. Use "auto", or compute.fallback: cpu, to go on with the CPU.`);
    return cpuWithLog(log, `compute: cpu backend — ${why}`, cfg);
  }
  const h = started.hello;
  const b = gpuBackend(started, {
    python, device, log, env, threads,
    batchSize: cfg.batchSize ?? 32,
    timeoutMs: (cfg.timeoutSeconds ?? 120) * 1000,
    fallback: cfg.fallback ?? 'none',
    cpu: () => cpuBackend({ concurrency: cfg.concurrency, threads: cfg.threads ?? availableParallelism() }),
  });
  log.info(`compute: gpu backend on ${h.device}${h.deviceName && h.deviceName !== h.device ? ` (${h.deviceName})` : ''} — torch ${h.torch}, torchvision ${h.torchvision}; decode ${h.gpuDecode ? 'nvJPEG' : 'CPU (torchvision)'}${h.batchedDecode ? ', batched' : ', one by one'}; JPEG tiles ${b.encoder}; batches of ${cfg.batchSize ?? 32}`);
  return b;
}
