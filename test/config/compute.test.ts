/** The compute keys of a pipeline: the gpu backend's settings, and errors that name the key and its line. */
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { baseYaml, configErrorOf } from '../helpers/config.js';

describe('config: compute', () => {
  test('gpu settings are kept as written; absent, they stay absent (defaults applied by the backend) and the hash is what it was', () => {
    const c = parseConfig(baseYaml + 'compute:\n  backend: gpu\n  device: 1\n  batchSize: 64\n  python: /opt/venv/bin/python\n  fallback: cpu\n  timeoutSeconds: 30\n', 'p.yaml').compute;
    expect(c).toEqual({ backend: 'gpu', device: 1, batchSize: 64, python: '/opt/venv/bin/python', fallback: 'cpu', timeoutSeconds: 30, concurrency: 0 });
    expect(parseConfig(baseYaml + 'compute: {backend: cuda, device: cpu}\n', 'p.yaml').compute).toMatchObject({ backend: 'cuda', device: 'cpu' });
    expect(parseConfig(baseYaml, 'p.yaml').compute).toEqual({ backend: 'auto', concurrency: 0 });
  });

  test.each([
    ['compute:\n  device: gpu0\n', /p\.yaml:6: compute\.device/],
    ['compute:\n  batchSize: 0\n', /p\.yaml:6: compute\.batchSize: must be >= 1/],
    ['compute:\n  fallback: gpu\n', /p\.yaml:6: compute\.fallback: expected one of "none", "cpu" but received "gpu"/],
    ['compute:\n  timeoutSeconds: 0\n', /p\.yaml:6: compute\.timeoutSeconds: must be > 0/],
    ['compute:\n  backend: tpu\n', /p\.yaml:6: compute\.backend/],
  ])('%s → an error naming the key and its line', (yaml, want) => {
    expect(configErrorOf(baseYaml + yaml).message).toMatch(want);
  });
});
