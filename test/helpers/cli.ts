import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve('dist/cli/main.js');
/** The package's `bin`: the same program bundled (scripts/bundle-cli.mjs). */
export const BUNDLED_BIN = resolve('dist/cli/shardloom.js');

export interface CliResult { status: number; stdout: string; stderr: string }

/** Run the built CLI as a user would. */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; bin?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
