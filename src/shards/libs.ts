/**
 * apache-arrow and parquet-wasm, loaded the cheap way: a thread that writes shards pays for loading them once
 * per run, and most of that was Node's module loader, not the libraries (docs/performance.md, start-up).
 * - apache-arrow: its own single-file build, `Arrow.esnext.min.js`, shipped in the package — the same version's
 *   code as its ≈ 300 ES modules, loaded in ≈ 20 ms of CPU instead of ≈ 150.
 * - parquet-wasm: through `require`; imported as an ES module, Node first scans its 100 kB of CommonJS for
 *   exports (≈ 50 ms).
 * Everything in shardloom that builds or reads Arrow objects takes them from here, so classes are one set
 * (`instanceof` holds across modules).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** apache-arrow's API (the package entry's types; the package's single-file build). */
export const arrow = require(join(dirname(require.resolve('apache-arrow')), 'Arrow.esnext.min.js')) as typeof import('apache-arrow');

/** parquet-wasm's Node build. */
export const pw = require('parquet-wasm') as typeof import('parquet-wasm');
