// Builds the native resize kernels (src/compute/native/resample.c: AVX2 and AVX-512BW, chosen at run time)
// into dist/native/libshardloom-resample.so — part of `npm run build`, so of `npm ci` in a checkout.
// Optional: without a C compiler (or on another architecture) it says so and exits 0, and the WebAssembly
// kernels run instead — the same bytes, slower (docs/decisions.md). `CC` picks the compiler (default cc).
//
// The library carries the SHA-256 of the source it was built from (sl_source_hash), so a test can tell a
// stale build from a current one. `--out DIR` builds into DIR instead of dist/native/ (tests).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/compute/native/resample.c`;
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? process.argv[outArg + 1] : `${root}dist/native`;
const out = `${outDir}/libshardloom-resample.so`;

function skip(why) {
  rmSync(out, { force: true }); // never leave an older build to be loaded
  console.log(`build:native: skipped — ${why}; resizing will use the WebAssembly kernels (same bytes, slower)`);
  process.exit(0);
}

if (process.arch !== 'x64') skip(`the native kernels are x86-64 only (this is ${process.arch})`);
if (process.platform === 'win32') skip('not built on Windows');
const hash = createHash('sha256').update(readFileSync(source)).digest('hex');
const cc = process.env.CC || 'cc';
mkdirSync(outDir, { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const r = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-fvisibility=hidden', '-ffp-contract=off', `-DSL_SOURCE_HASH="${hash}"`, '-o', tmp, source, '-lm'], { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error || r.status !== 0) {
  rmSync(tmp, { force: true });
  skip(r.error ? `no C compiler (${cc}: ${r.error.code ?? r.error.message})` : `${cc} failed (exit ${r.status})`);
}
renameSync(tmp, out);
console.log(`build:native: ${out.startsWith(root) ? out.slice(root.length) : out} (${hash.slice(0, 12)})`);
