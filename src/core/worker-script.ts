/**
 * Where a worker thread's script is: next to the calling module once built (dist/…/x.js); when the caller
 * runs from the TypeScript sources (tests), the built copy in dist/ (the test setup builds it first).
 * `name` is relative to the package's source root, e.g. `compute/tile-worker.js`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function workerScript(name: string): URL {
  const here = new URL(`../${name}`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(`../../dist/${name}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`the worker script ${fileURLToPath(here)} is missing; build with npm run build`);
}
