/**
 * The published package as a user gets it: `npm pack` on a copy of the project (prepack empties dist/, prepare
 * compiles it again, so no stale build output ships), the tarball installed into an empty project, and the
 * installed binary run from another working directory — --version, --help, and the bundled sample on the
 * sample data the package ships, with no ffmpeg on PATH (the bundled static ffmpeg/ffprobe are used).
 *
 * The install resolves the dependencies as a user's would, from npm's cache where `npm ci` left them, else
 * from the registry (--prefer-offline: CI reaches the npm registry; --offline fails there, because the
 * metadata `npm install` asks for is not the metadata `npm ci` cached).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('shardloom-pack-');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; allowScripts: Record<string, boolean> };
const stage = join(dir, 'stage');
const app = join(dir, 'app');
const elsewhere = join(dir, 'elsewhere');
const installed = join(app, 'node_modules', 'shardloom');
const bin = join(app, 'node_modules', '.bin', 'shardloom');
const tarball = join(dir, `shardloom-${pkg.version}.tgz`);
/** The packed tarball stays small: code, schema, docs and the sample's inputs, no test assets. */
const MAX_TARBALL_BYTES = 1_500_000;

// `npm test` / `npm run test:e2e` export npm_* variables describing this project; the child npm must not see them.
const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.has(k.toLowerCase())));

function run(cmd: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 300_000 });
}
const why = (r: SpawnSyncReturns<string>) => `exit ${r.status} ${r.signal ?? ''} ${r.error?.message ?? ''}\n${r.stdout}\n${r.stderr}`;

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
}

beforeAll(() => {
  // A copy of what `npm pack` reads, so that prepack's `rm dist` does not touch the checkout the other tests use.
  mkdirSync(stage);
  for (const p of ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', 'src', 'scripts', 'schemas', 'pipelines', 'python', 'docs', 'sample-data']) {
    cpSync(p, join(stage, p), { recursive: true });
  }
  symlinkSync(resolve('node_modules'), join(stage, 'node_modules'), 'dir');
  const packed = run('npm', ['pack', '--pack-destination', dir], stage);
  expect(packed.status, why(packed)).toBe(0);
  expect(existsSync(tarball), why(packed)).toBe(true);

  mkdirSync(app);
  // The app's own policy for install scripts: the project's, plus shardloom itself (a file: tarball is flagged
  // for its `prepare`, which npm does not run for a tarball).
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, allowScripts: { ...pkg.allowScripts, shardloom: false } }));
  const inst = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
  expect(inst.status, why(inst)).toBe(0);
  mkdirSync(elsewhere);
}, 600_000);

describe('the npm package', () => {
  test('ships the code, schema, docs, licence and the sample with its inputs; no stale build output, no test assets', () => {
    const files = filesUnder(installed);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/cli/main.js', 'dist/cli/shardloom.js', 'dist/index.js', 'dist/index.d.ts', 'schemas/pipeline.schema.json',
      'python/shardloom_gpu_worker.py', 'pipelines/sample.yaml', 'sample-data/README.md', 'sample-data/captions/00000.tar', 'docs/shards.md']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|\.ci|sample-data\/images)\/|\.map$|__pycache__|(?<!\.d)\.ts$/.test(f))).toEqual([]);
    // Every compiled module comes from a source file of the build (prepack removed what an older build left);
    // the bundled command line is the bin and its chunks, every one of them imported by the bin or a chunk.
    const bundle = files.filter((f) => /^dist\/cli\/(shardloom|bundle-.*)\.js$/.test(f));
    const stale = files.filter((f) => /^dist\/.*\.js$/.test(f) && !bundle.includes(f)).filter((f) => !existsSync(join(stage, 'src', f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
    expect(stale).toEqual([]);
    const imported = new Set(bundle.flatMap((f) => [...readFileSync(join(installed, f), 'utf8').matchAll(/(?:from |import\()"\.\/(bundle-[^"]+\.js)"/g)].map((m) => `dist/cli/${m[1]}`)));
    expect(bundle.filter((f) => f !== 'dist/cli/shardloom.js' && !imported.has(f))).toEqual([]);
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).bin).toEqual({ shardloom: './dist/cli/shardloom.js' });
    expect(statSync(tarball).size).toBeLessThan(MAX_TARBALL_BYTES);
  });

  test('the installed binary: --version, and --help naming docs that are in the package', () => {
    const v = run(bin, ['--version'], elsewhere);
    expect(v.status, why(v)).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const help = run(bin, ['--help'], elsewhere);
    expect(help.status, why(help)).toBe(0);
    const named = help.stdout.match(/\b(?:README\.md|docs\/[\w./-]*)/g) ?? [];
    expect(named).toEqual(expect.arrayContaining(['README.md', 'docs/']));
    for (const n of named) expect(existsSync(join(installed, n)), n).toBe(true);
    // …and the docs the README links to.
    const links = [...new Set(readFileSync(join(installed, 'README.md'), 'utf8').match(/\bdocs\/[\w./-]*\.\w+/g) ?? [])];
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) expect(existsSync(join(installed, l)), l).toBe(true);
  });

  test('runs its own sample from another working directory, the shares on target, and validates it', () => {
    const sample = join(installed, 'pipelines', 'sample.yaml');
    const out = join(dir, 'out');
    // Only node on PATH (the bin's `#!/usr/bin/env node` finds it there), no ffmpeg: the clips go through the
    // static ffmpeg/ffprobe of @ffmpeg-installer / @ffprobe-installer, installed with the package.
    const path = join(dir, 'path');
    mkdirSync(path);
    symlinkSync(process.execPath, join(path, 'node'));
    const noFfmpeg = { PATH: path };
    const r = run(bin, ['run', sample, '--out', out, '--quiet'], elsewhere, noFfmpeg);
    expect(r.status, why(r)).toBe(0);
    expect(r.stdout).toContain(`Shards written to ${out}`);
    const v = run(bin, ['validate', out, '--config', sample], elsewhere, noFfmpeg);
    expect(v.status, why(v)).toBe(0);
    expect(v.stdout).toContain('OK: all checks passed');
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')) as { share: Record<string, { target: number; realised: number; samples: number }>; rejectsByReason: Record<string, number> };
    expect(Object.keys(stats.share).sort()).toEqual(['books', 'captions', 'clips', 'mmc4', 'obelics', 'web-text']);
    // Every clip decoded (a missing or broken ffmpeg would reject them); the only rejects are the bad text lines.
    expect(stats.share.clips.samples).toBe(5);
    expect(Object.keys(stats.rejectsByReason).sort()).toEqual(['json.malformed', 'text.empty']);
    for (const [name, s] of Object.entries(stats.share)) expect(Math.abs(s.realised - s.target), name).toBeLessThanOrEqual(0.02);
    // Nothing written where the command ran, nor into the installed package.
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(existsSync(join(installed, 'out'))).toBe(false);
  });
});
