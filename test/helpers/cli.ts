import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve('dist/cli/main.js');

export interface CliResult { status: number; stdout: string; stderr: string }

/** Run the built CLI as a user would. */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
