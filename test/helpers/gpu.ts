/**
 * The gpu backend with its worker on the CPU (Debian's python3-torch / python3-torchvision, installed by
 * .ci/run), for the tests that drive it: a factory, the log lines it wrote, and a check that fails — not
 * skips — when torch is missing, since these tests are how CI tests the gpu backend.
 */
import { spawnSync } from 'node:child_process';
import { createCompute, type ComputeConfig } from '../../src/compute/index.js';
import type { Logger } from '../../src/core/log.js';
import { PYTHON } from './tmp.js';

export const gpuLogs: string[] = [];
const log: Logger = { debug() {}, info: (m) => gpuLogs.push(m), warn: (m) => gpuLogs.push(m), error: (m) => gpuLogs.push(m) };

export function requireTorch(): void {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${PYTHON} cannot import torch and torchvision (apt-get install python3-torch python3-torchvision; .ci/run does this): ${r.stderr.trim().split('\n').pop()}`);
}

export const gpuOnCpu = (extra: Partial<ComputeConfig> = {}, env: NodeJS.ProcessEnv = process.env) =>
  createCompute({ backend: 'gpu', device: 'cpu', python: PYTHON, batchSize: 8, ...extra }, log, env);
