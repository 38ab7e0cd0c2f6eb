/**
 * The bundled command line (scripts/bundle-cli.mjs → dist/cli/shardloom.js, the package's `bin`): the same
 * program as dist/cli/main.js, started from one file and a few chunks. Checked against the unbundled one on
 * what a user sees: the sample's shards byte for byte, the tokenizer cache it finds, the exit status and message
 * of a config error (error classes are one set across the chunks), the help and usage texts, and what
 * `--version` loads. The build itself: deterministic, and without rolldown a plain import of main.js.
 */
import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLED_BIN, cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('shardloom-bundle-');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const shards = (d: string) => readdirSync(d).filter((f) => /^part-.*\.(parquet|arrow)$/.test(f)).sort();

describe('the bundled command line', () => {
  test('the sample: the same shards, byte for byte, as the unbundled CLI, from the same tokenizer cache', () => {
    const cache = join(dir, 'cache');
    const env = { SHARDLOOM_CACHE_DIR: cache };
    const a = cli(['run', 'pipelines/sample.yaml', '--out', join(dir, 'main'), '--quiet'], { env, timeoutMs: 300_000 });
    expect(a.status, a.stderr).toBe(0);
    const prepared = readdirSync(cache).filter((f) => f.endsWith('.prepared'));
    expect(prepared).toHaveLength(1);
    const b = cli(['run', 'pipelines/sample.yaml', '--out', join(dir, 'bundle'), '--quiet'], { env, timeoutMs: 300_000, bin: BUNDLED_BIN });
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout.replaceAll(join(dir, 'main'), join(dir, 'bundle')));
    // The bundle keys the prepared tokenizer on the same code: it found the cache file, it wrote no other.
    expect(readdirSync(cache).filter((f) => f.endsWith('.prepared'))).toEqual(prepared);
    const files = shards(join(dir, 'main'));
    expect(files.length).toBeGreaterThan(1);
    expect(shards(join(dir, 'bundle'))).toEqual(files);
    for (const f of files) expect([f, sha(join(dir, 'bundle', f))]).toEqual([f, sha(join(dir, 'main', f))]);
  });

  test('a config error: exit 2, the key and its line — as the unbundled CLI says it', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'sources:\n  - name: a\n    kind: text\n    paths: [x.jsonl]\npack:\n  maxTokens: "16k"\n');
    const args = ['run', join(dir, 'bad.yaml'), '--out', join(dir, 'never')];
    const a = cli(args);
    const b = cli(args, { bin: BUNDLED_BIN });
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('bad.yaml:6: pack.maxTokens: must be integer but received "16k" of type string');
    expect([b.status, b.stderr]).toEqual([a.status, a.stderr]);
  });

  test("--help, a command's --help and a usage error: the same words as the unbundled CLI, in English under any locale", () => {
    const env = { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', LANGUAGE: 'de' };
    for (const args of [['--help'], ['run', '--help'], ['rnu', 'x.yaml'], ['run']]) {
      const a = cli(args, { env });
      const b = cli(args, { env, bin: BUNDLED_BIN });
      expect([args, b.status, b.stdout, b.stderr]).toEqual([args, a.status, a.stdout, a.stderr]);
    }
    const help = cli(['--help'], { env, bin: BUNDLED_BIN }).stdout;
    expect(help).toContain('Commands:');
    expect(help).toContain('Options:');
  });

  test('--version loads the entry chunk and nothing of the pipeline', () => {
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(join(dir, 'loaded.txt'))}, url + '\\n'); return next(url, context); }\n`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    writeFileSync(join(dir, 'loaded.txt'), '');
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, BUNDLED_BIN, '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    const urls = readFileSync(join(dir, 'loaded.txt'), 'utf8').split('\n').filter((u) => u.startsWith('file:'));
    const dist = pathToFileURL(resolve('dist')).href;
    expect(urls).toContain(pathToFileURL(BUNDLED_BIN).href);
    // Nothing of dist/ but the bundle's own files; no pipeline chunk; of node_modules, at most yargs (bundled today).
    expect(urls.filter((u) => u.startsWith(dist) && !/\/dist\/cli\/(shardloom|bundle-[^/]+)\.js$/.test(u))).toEqual([]);
    expect(urls.filter((u) => /\/bundle-(run|load|tokenizer|cpu|parquet-io)-/.test(u))).toEqual([]);
    expect(urls.filter((u) => u.includes('/node_modules/') && !/\/node_modules\/(yargs|yargs-parser|cliui|y18n|escalade|get-caller-file|string-width|strip-ansi|ansi-regex|ansi-styles|wrap-ansi|emoji-regex|get-east-asian-width)\//.test(u))).toEqual([]);
  });

  test('the build is deterministic; without rolldown the bin imports main.js, and says so', () => {
    const build = (out: string, extra: string[] = []) => spawnSync(process.execPath, ['scripts/bundle-cli.mjs', '--out', out, ...extra], { encoding: 'utf8', timeout: 120_000 });
    const one = build(join(dir, 'b1'));
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^bundle:cli: .*shardloom\.js and \d+ chunks, \d+ kB\n$/);
    expect(build(join(dir, 'b2')).status).toBe(0);
    const files = readdirSync(join(dir, 'b1')).sort();
    expect(files).toContain('shardloom.js');
    expect(readdirSync(join(dir, 'b2')).sort()).toEqual(files);
    // The same bytes each time, and the same as dist/cli's (built by the tests' global setup from this dist/).
    for (const f of files) {
      expect([f, sha(join(dir, 'b2', f))]).toEqual([f, sha(join(dir, 'b1', f))]);
      expect([f, sha(resolve('dist/cli', f))]).toEqual([f, sha(join(dir, 'b1', f))]);
    }
    const none = build(join(dir, 'b3'), ['--bundler', 'no-such-bundler']);
    expect(none.status).toBe(0);
    expect(none.stdout).toMatch(/bundle:cli: skipped — no-such-bundler is not installed \(ERR_MODULE_NOT_FOUND\); shardloom\.js runs the unbundled dist\/cli\/main\.js/);
    expect(readdirSync(join(dir, 'b3'))).toEqual(['shardloom.js']);
    const v = spawnSync(process.execPath, [join(dir, 'b3', 'shardloom.js'), '--version'], { encoding: 'utf8' });
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
