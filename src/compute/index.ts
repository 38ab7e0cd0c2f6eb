/**
 * The compute module: all pixel work — images and video frames — behind one interface (types.ts), two
 * backends. `auto` tries once to initialise a CUDA device through ffmpeg and falls back to the CPU, saying
 * which it chose and why; `cuda` where there is none is a clear error.
 *
 * This file is the module's face: media/ imports compute/ only from here. compute/ imports nothing from media/.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Logger } from '../core/log.js';
import { ShardloomError } from '../core/errors.js';
import { cpuBackend, describeTileEncoder } from './cpu.js';
import { findBinary } from './ffmpeg.js';
import type { ComputeBackend } from './types.js';

export type { BatchLimits, ComputeBackend, FrameJob, FrameTileOptions, ImageJob, ItemResult, RgbFrame, TileOptions } from './types.js';
export { MediaError } from './errors.js';
export { BatchQueue, frameQueue, type FrameQueue } from './batch.js';
export { planTiles, candidateGrids, type TilePlan, type PlanOptions } from './tiling.js';
export { findBinary, type FoundBinary } from './ffmpeg.js';

/**
 * `threads`: tiling threads of the cpu backend (default: the CPUs this process may use); 0 tiles on the
 * calling thread.
 */
export interface ComputeConfig { backend: 'auto' | 'cpu' | 'cuda'; concurrency?: number; device?: number; threads?: number }

/** ffmpeg arguments that succeed only when a CUDA device initialises. */
export const CUDA_PROBE_ARGS = ['-hide_banner', '-loglevel', 'error', '-init_hw_device', 'cuda=probe:0', '-f', 'lavfi', '-i', 'nullsrc=s=16x16:d=0.04', '-frames:v', '1', '-f', 'null', '-'];

/** Can this machine run the cuda backend? `{ ok, reason }`, checked once per process. */
export function probeCuda(env: NodeJS.ProcessEnv = process.env): { ok: true; ffmpeg: string } | { ok: false; reason: string } {
  let bin;
  try {
    bin = findBinary('ffmpeg', env);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const r = spawnSync(bin.path, CUDA_PROBE_ARGS, { encoding: 'utf8', timeout: 15_000 });
  if (r.error) return { ok: false, reason: `${bin.path}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `${bin.path} (${bin.from}) cannot initialise a CUDA device: ${(r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`}` };
  return { ok: true, ffmpeg: bin.path };
}

function cpuWithLog(log: Logger, why: string, cfg: ComputeConfig): ComputeBackend {
  const threads = cfg.threads ?? availableParallelism();
  log.info(`${why}; ${threads > 0 ? `${threads} tiling thread(s)` : 'tiling on the main thread'}; JPEG tiles: ${describeTileEncoder()}`);
  return cpuBackend({ concurrency: cfg.concurrency, threads });
}

export async function createCompute(cfg: ComputeConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<ComputeBackend> {
  if (cfg.backend === 'cpu') return cpuWithLog(log, 'compute: cpu backend (asked for)', cfg);
  const probe = probeCuda(env);
  if (probe.ok) {
    const { cudaBackend } = await import('./cuda.js'); // loaded only where a CUDA device initialises
    const b = cudaBackend(probe.ffmpeg, cfg.device ?? 0, { concurrency: cfg.concurrency });
    log.info(`compute: cuda backend (NVDEC + scale_cuda via ${probe.ffmpeg}); video frames: CPU fallback (the cuda backend has no frame path: exact bicubic + ${b.encoder}, as the cpu backend)`);
    return b;
  }
  if (cfg.backend === 'cuda') throw new ShardloomError('COMPUTE_BACKEND', `compute.backend is "cuda" but ${probe.reason}. Use "auto" to fall back to the CPU.`);
  return cpuWithLog(log, `compute: cpu backend (sharp/libvips) — no CUDA: ${probe.reason}`, cfg);
}
