/**
 * A whole run on the gpu backend, its worker on the CPU (`compute: {backend: gpu, device: cpu}`, Debian's
 * python3-torch / python3-torchvision): the bundled sample's images and video frames go through the worker,
 * the shards pass validate, say where their pixels were made, and have the cpu backend's grids.
 */
import { describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli } from '../helpers/cli.js';
import { duck } from '../helpers/duckdb.js';
import { tempDir, PYTHON } from '../helpers/tmp.js';
import { readShardMetadata } from '../../src/shards/parquet-io.js';

const dir = tempDir();

describe('a run on the gpu backend (worker on the CPU)', () => {
  test('the sample: valid shards, the same grids as the cpu backend, the backend in the metadata', async () => {
    const sample = readFileSync('pipelines/sample.yaml', 'utf8').replaceAll('../sample-data', resolve('sample-data'));
    const gpuCfg = join(dir, 'gpu.yaml');
    const cpuCfg = join(dir, 'cpu.yaml');
    writeFileSync(gpuCfg, `${sample}\ncompute: {backend: gpu, device: cpu, python: ${PYTHON}, batchSize: 4}\n`);
    writeFileSync(cpuCfg, `${sample}\ncompute: {backend: cpu}\n`);
    const g = cli(['run', gpuCfg, '--out', join(dir, 'gpu'), '--quiet', '--strict'], { timeoutMs: 300_000 });
    expect(g.stderr).not.toMatch(/unexpected error/);
    expect(g.status).toBe(0);
    const c = cli(['run', cpuCfg, '--out', join(dir, 'cpu'), '--quiet'], { timeoutMs: 300_000 });
    expect(c.status).toBe(0);
    const md = (await readShardMetadata(join(dir, 'gpu', 'part-00000.parquet'))).metadata;
    expect(md['shardloom.compute']).toMatch(/^gpu cpu/);
    expect(md['shardloom.tile_encoder']).toMatch(/torchvision/);
    const grids = async (d: string) => duck(`SELECT sample_ids, image_grids::VARCHAR AS g, image_tiles FROM read_parquet('${join(d, '*.parquet')}') ORDER BY sample_ids[1]`);
    expect(await grids(join(dir, 'gpu'))).toEqual(await grids(join(dir, 'cpu')));
  }, 600_000);

  test('a worker that keeps dying stops the run: exit 3, a clear message, finished shards kept, resumable', () => {
    const sample = readFileSync('pipelines/sample.yaml', 'utf8').replaceAll('../sample-data', resolve('sample-data'));
    const cfg = join(dir, 'crash.yaml');
    writeFileSync(cfg, `${sample}\ncompute: {backend: gpu, device: cpu, python: ${PYTHON}, batchSize: 4}\n`);
    const r = cli(['run', cfg, '--out', join(dir, 'crash'), '--quiet'], { timeoutMs: 300_000, env: { SHARDLOOM_GPU_WORKER_FAULT: 'crash:1' } });
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/the GPU worker exited with code 70.*it was restarted once already\. The run stops .*compute\.fallback: cpu/);
    expect(JSON.parse(readFileSync(join(dir, 'crash', 'index.json'), 'utf8')).complete).toBe(false);
  }, 600_000);

  test('with compute.fallback: cpu the run goes on on the cpu backend; the shards say so', async () => {
    const sample = readFileSync('pipelines/sample.yaml', 'utf8').replaceAll('../sample-data', resolve('sample-data'));
    const cfg = join(dir, 'fallback.yaml');
    writeFileSync(cfg, `${sample}\ncompute: {backend: gpu, device: cpu, python: ${PYTHON}, batchSize: 4, fallback: cpu}\n`);
    const r = cli(['run', cfg, '--out', join(dir, 'fallback'), '--strict'], { timeoutMs: 300_000, env: { SHARDLOOM_GPU_WORKER_FAULT: 'crash:1' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/switching to the cpu backend for the rest of the run \(compute\.fallback: cpu\)/);
    const md = (await readShardMetadata(join(dir, 'fallback', 'part-00000.parquet'))).metadata;
    expect(md['shardloom.compute']).toMatch(/^gpu cpu, then cpu \(fallback: the GPU worker exited with code 70/);
  }, 600_000);
});
