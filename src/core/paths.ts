/**
 * Where the package's own files (schemas/, pipelines/) are, from src/ under vitest, dist/ once built,
 * or dist-bench/src/ for benchmarks: walk up to the nearest package.json named shardloom.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === 'shardloom') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('shardloom: cannot find the package root from ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
