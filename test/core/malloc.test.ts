/**
 * The allocator tuning of `shardloom run` (src/core/malloc.ts): the thresholds set through glibc's mallopt
 * where there is glibc, glibc's defaults kept with SHARDLOOM_MALLOC=default, and a plain "defaults" line —
 * never an error — where the C library cannot be loaded.
 */
import { afterEach, expect, test } from 'vitest';
import { resetMallocTuning, tuneMalloc } from '../../src/core/malloc.js';

const glibc = process.platform === 'linux' && Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header?.glibcVersionRuntime);

afterEach(() => resetMallocTuning());

test('SHARDLOOM_MALLOC=default leaves the allocator alone, and says so', () => {
  expect(tuneMalloc({ SHARDLOOM_MALLOC: 'default' })).toBe("malloc: glibc's defaults (SHARDLOOM_MALLOC=default)");
});

test.skipIf(!glibc)('with glibc: the mmap and trim thresholds are set, once per process', () => {
  const line = tuneMalloc({});
  expect(line).toMatch(/^malloc: glibc \d+\.\d+, freed buffers kept for reuse \(mmap threshold 64 MiB, trim threshold 128 MiB; SHARDLOOM_MALLOC=default to turn off\)$/);
  expect(tuneMalloc({ SHARDLOOM_MALLOC: 'default' })).toBe(line); // already done: the same answer
});

test('a C library that cannot be loaded: the defaults, with the reason', () => {
  expect(tuneMalloc({}, 'libno-such-c-library.so.6')).toMatch(process.platform === 'linux' ? /^malloc: the system's defaults \(.*libno-such-c-library\.so\.6/ : /^malloc: the platform's defaults/);
});
