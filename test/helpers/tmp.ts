import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temporary directory removed after the test file. */
export function tempDir(prefix = 'shardloom-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Debian's Python (with python3-pil and numpy from .ci/run); pyenv's `python3` on PATH lacks them. */
export const PYTHON = '/usr/bin/python3';
