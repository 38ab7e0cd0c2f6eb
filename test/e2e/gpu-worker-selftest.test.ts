/**
 * The GPU worker's own self-test (test/compute/gpu-worker.py-selftest.py): the protocol from the Python side —
 * hello, ping, empty batches, malformed messages, the fault hooks, per-item errors, tile counts, 4:2:0 tiles,
 * PSNR against PIL's tiles, and (in-process, with stand-ins) the batched-decode and list-encode branches that
 * only newer torchvision versions take. Run with Debian's python3-torch / python3-torchvision on the CPU.
 */
import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { PYTHON } from '../helpers/tmp.js';

test('the worker passes its self-test on the CPU', () => {
  const r = spawnSync(PYTHON, ['-B', 'test/compute/gpu-worker.py-selftest.py', '--device', 'cpu'], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) process.stderr.write(r.stdout.slice(-4000) + r.stderr.slice(-4000));
  expect(r.status).toBe(0);
}, 300_000);
