/**
 * glibc's allocator, tuned for what a run allocates: large buffers that live for one image or one row group
 * (a shard's tile bytes built into Arrow, serialised, copied into the Parquet encoder: tens of MB each time).
 * By default glibc maps every allocation above its mmap threshold (dynamic, at most 32 MiB) fresh from the
 * kernel and unmaps it when freed, and returns free memory at the top of a heap above 128 KiB — so each such
 * buffer costs page faults and zeroed pages again, every time. With the mmap threshold at 64 MiB and the trim
 * threshold at 128 MiB, freed memory is kept and reused instead: a caption run of 120 photos takes ≈ 20 % fewer
 * page faults and ≈ 6 % less CPU (docs/decisions.md, "malloc"), and peak RSS grows by what the heaps keep.
 *
 * Only the `run` command asks for it (`tuneAllocator`) — a process that shardloom owns, never a host that
 * imports the library — once the run's setup has passed, before its tokenizer and tiling threads start.
 * `SHARDLOOM_MALLOC=default` leaves glibc's settings alone. Elsewhere (not glibc, no koffi) nothing changes
 * and the run log says so.
 */
import { createRequire } from 'node:module';

const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
export const MMAP_THRESHOLD = 64 << 20;
export const TRIM_THRESHOLD = 128 << 20;

let done: string | undefined;

/** Set the thresholds (once per process); a line for the run log saying what was done. `libc`: for tests. */
export function tuneMalloc(env: NodeJS.ProcessEnv = process.env, libc = 'libc.so.6'): string {
  if (done !== undefined) return done;
  if (env.SHARDLOOM_MALLOC?.trim() === 'default') return (done = "malloc: glibc's defaults (SHARDLOOM_MALLOC=default)");
  if (process.platform !== 'linux') return (done = `malloc: the platform's defaults (not Linux)`);
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const lib = koffi.load(libc);
    // glibc only: musl has no gnu_get_libc_version (and its mallopt does nothing).
    const version = String(lib.func('const char* gnu_get_libc_version()')());
    const mallopt = lib.func('int mallopt(int param, int value)');
    if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) !== 1 || mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) !== 1) return (done = `malloc: glibc ${version} refused the thresholds; its defaults`);
    return (done = `malloc: glibc ${version}, freed buffers kept for reuse (mmap threshold ${MMAP_THRESHOLD >> 20} MiB, trim threshold ${TRIM_THRESHOLD >> 20} MiB; SHARDLOOM_MALLOC=default to turn off)`);
  } catch (e) {
    return (done = `malloc: the system's defaults (${libc}: ${(e as Error).message.split('\n')[0]})`);
  }
}

/** For tests: forget that the thresholds were set (they stay set; only the next call's answer changes). */
export function resetMallocTuning(): void {
  done = undefined;
}
