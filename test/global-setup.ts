/**
 * Build dist/ once before the tests: CLI tests run the real binary (`node dist/cli/main.js`), as a user
 * does. A failed build is reported here and makes the CLI tests fail; the other tests still run.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`\n[global-setup] tsc build failed — CLI tests will fail:\n${r.stdout}${r.stderr}\n`);
}
