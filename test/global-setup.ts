/**
 * Build dist/ once before the tests: CLI tests run the real binary (`node dist/cli/main.js`), as a user
 * does. A failed build is reported here and makes the CLI tests fail; the other tests still run. The native
 * resize kernels are rebuilt too (scripts/build-native.mjs; skipped where there is no C compiler), so that
 * the tests never run a library older than its source, and so is the bundled command line, the package's
 * `bin` (scripts/bundle-cli.mjs: dist/cli/shardloom.js, tested in test/e2e/bundle.test.ts).
 *
 * The prepared-tokenizer cache (src/tokenize/prepared.ts) goes to a directory of this test run, not the
 * user's ~/.cache: tests leave nothing behind and never read a cache an earlier build wrote. A test that is
 * about the cache sets its own SHARDLOOM_CACHE_DIR.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`\n[global-setup] tsc build failed — CLI tests will fail:\n${r.stdout}${r.stderr}\n`);
  const n = spawnSync(process.execPath, ['scripts/build-native.mjs'], { encoding: 'utf8' });
  if (n.status !== 0) process.stderr.write(`\n[global-setup] build:native failed:\n${n.stdout}${n.stderr}\n`);
  const b = spawnSync(process.execPath, ['scripts/bundle-cli.mjs'], { encoding: 'utf8' });
  if (b.status !== 0) process.stderr.write(`\n[global-setup] bundle:cli failed — tests of the bundled command line will fail:\n${b.stdout}${b.stderr}\n`);
  const cache = mkdtempSync(join(tmpdir(), 'shardloom-test-cache-'));
  process.env.SHARDLOOM_CACHE_DIR ??= cache;
  return () => rmSync(cache, { recursive: true, force: true });
}
