import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory, prepareOutput } from '../../src/shards/output-dir.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();

describe('prepareOutput: an output path that cannot be a directory is one clear error', () => {
  test('an existing file, or a file further up: OUTPUT_CONFLICT naming the path (and the file)', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expect(prepareOutput(file, 'h', false)).rejects.toMatchObject({
      code: 'OUTPUT_CONFLICT', message: `output directory ${file} is not a directory; choose another --out (or output.dir)`,
    });
    await expect(prepareOutput(join(file, 'sub', 'out'), 'h', false)).rejects.toMatchObject({
      code: 'OUTPUT_CONFLICT', message: `output directory ${join(file, 'sub', 'out')} is not a directory (${file} is a file); choose another --out (or output.dir)`,
    });
  });

  test.skipIf(!existsSync('/proc/self'))('under /proc: OUTPUT_WRITE at once, not the endless recursive mkdir', async () => {
    const t0 = Date.now();
    await expect(prepareOutput('/proc/shardloom-x/out', 'h', false)).rejects.toMatchObject({
      code: 'OUTPUT_WRITE', message: expect.stringMatching(/^cannot create output directory \/proc\/shardloom-x\/out: ENOENT/),
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  test('nested new directories are made; an existing one is kept; what is made is a directory', async () => {
    const deep = join(dir, 'new', 'a', 'b');
    await prepareOutput(deep, 'h', false);
    expect(statSync(deep).isDirectory()).toBe(true);
    mkdirSync(join(dir, 'exists'));
    await makeDirectory(join(dir, 'exists'));
    expect(statSync(join(dir, 'exists')).isDirectory()).toBe(true);
  });

  test('--resume across a --limit run and a full one says which is which', async () => {
    const out = join(dir, 'limited');
    mkdirSync(out);
    writeFileSync(join(out, 'run.json'), JSON.stringify({ configHash: 'abc-limit5' }));
    await expect(prepareOutput(out, 'abc', false, true)).rejects.toMatchObject({
      code: 'OUTPUT_CONFLICT',
      message: expect.stringContaining('The run there was limited (--limit 5), this one is a full run: resume with the same --limit'),
    });
    await expect(prepareOutput(out, 'abc-limit5', false, true)).resolves.toBeUndefined();
    await expect(prepareOutput(out, 'def', false, true)).rejects.toThrow('The config (or a default it fills) changed since the run started.');
  });
});
