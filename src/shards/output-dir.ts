/**
 * The output directory: refuse to mix two runs in one directory, and clear our own files on --overwrite.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { ShardloomError } from '../core/errors.js';

const OURS = /^(part-\d+\.(parquet|arrow)(\.tmp)?|index\.json|stats\.json|rejects\.jsonl|run\.json|progress\.jsonl)(\.tmp)?$/;

/**
 * Make `dir` ready for a run. A directory holding another run is refused; with `overwrite` our files are
 * removed; with `resume` a run of the same config is continued (files are left for the journal to sort).
 */
export async function prepareOutput(dir: string, configHash: string, overwrite: boolean, resume = false): Promise<void> {
  if (existsSync(dir)) {
    const names = await readdir(dir);
    const ours = names.filter((n) => OURS.test(n));
    if (resume) {
      const previous = await previousHash(dir);
      if (previous && previous !== configHash) {
        throw new ShardloomError('OUTPUT_CONFLICT', `cannot resume: ${dir} holds a run of config ${previous}, this config is ${configHash}. The config (or a default it fills) changed since the run started.`);
      }
      return;
    }
    if (ours.length > 0 && !overwrite) {
      const previous = await previousHash(dir);
      const what = previous && previous !== configHash ? `a different run (config ${previous}, this config is ${configHash})` : previous ? 'the output of this same config' : 'shards of an earlier run';
      throw new ShardloomError('OUTPUT_CONFLICT', `output directory ${dir} already holds ${what}; pass --resume to continue it, --overwrite to replace it, or choose another --out`);
    }
    for (const n of ours) await unlink(join(dir, n));
  } else {
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new ShardloomError('OUTPUT_WRITE', `cannot create output directory ${dir}: ${(e as Error).message}`, { cause: e });
    }
  }
  try {
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new ShardloomError('OUTPUT_WRITE', `output directory ${dir} is not writable`, { cause: e });
  }
}

async function previousHash(dir: string): Promise<string | undefined> {
  for (const f of ['run.json', 'index.json']) {
    try {
      return (JSON.parse(await readFile(join(dir, f), 'utf8')) as { configHash?: string }).configHash;
    } catch {
      /* not there or unreadable: try the next */
    }
  }
  return undefined;
}
