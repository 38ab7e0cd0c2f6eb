/**
 * The output directory: refuse to mix two runs in one directory, and clear our own files on --overwrite.
 */
import { mkdir, readdir, readFile, unlink, access, constants, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ShardloomError } from '../core/errors.js';

const OURS = /^(part-\d+\.(parquet|arrow)(\.tmp)?|index\.json|stats\.json|rejects\.jsonl|run\.json|progress\.jsonl)(\.tmp)?$/;

/**
 * Make `dir` ready for a run. A directory holding another run is refused; with `overwrite` our files are
 * removed; with `resume` a run of the same config is continued (files are left for the journal to sort).
 */
export async function prepareOutput(dir: string, configHash: string, overwrite: boolean, resume = false): Promise<void> {
  if (await isDirectory(dir)) {
    const names = await readdir(dir);
    const ours = names.filter((n) => OURS.test(n));
    if (resume) {
      const previous = await previousHash(dir);
      if (previous && previous !== configHash) {
        throw new ShardloomError('OUTPUT_CONFLICT', `cannot resume: ${dir} holds a run of config ${previous}, this config is ${configHash}. ${limitNote(previous, configHash)}`);
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
    await makeDirectory(dir, 'output directory');
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

/** `path` is a directory; false when nothing is there (yet); a file there is an OUTPUT_CONFLICT naming it. */
async function isDirectory(path: string, what = 'output directory', asked = path): Promise<boolean> {
  try {
    if ((await stat(path)).isDirectory()) return true;
  } catch (e) {
    // ENOTDIR: a file further up, which the walk up in makeDirectory names.
    if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return false;
    throw new ShardloomError('OUTPUT_WRITE', `cannot use ${what} ${asked}: ${(e as Error).message}`, { cause: e });
  }
  const whose = path === resolve(asked) ? '' : ` (${path} is a file)`;
  const fix = what === 'output directory' ? '; choose another --out (or output.dir)' : '';
  throw new ShardloomError('OUTPUT_CONFLICT', `${what} ${asked} is not a directory${whose}${fix}`);
}

/**
 * `mkdir -p`, one level at a time from the nearest existing ancestor. Not `mkdir(dir, { recursive: true })`:
 * under /proc (and other pseudo file systems) mkdir answers ENOENT for a parent that exists, and Node's
 * recursive mkdir then retries forever in a libuv thread, at full CPU and deaf to signals. A file on the way
 * is an OUTPUT_CONFLICT naming it (exit 2); a directory the OS refuses is an OUTPUT_WRITE naming it (exit 3).
 */
export async function makeDirectory(dir: string, what = 'output directory'): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (await isDirectory(d, what, dir)) break;
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && (await isDirectory(d, what, dir))) continue; // made by someone else meanwhile
      throw new ShardloomError('OUTPUT_WRITE', `cannot create ${what} ${dir}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** Why two hashes differ, for people: a `--limit N` run has the hash `HASH-limitN` (see run.ts limitedConfig). */
function limitNote(previous: string, current: string): string {
  const limit = (h: string) => /-limit(\d+)$/.exec(h)?.[1];
  if (previous.replace(/-limit\d+$/, '') !== current.replace(/-limit\d+$/, '')) return 'The config (or a default it fills) changed since the run started.';
  const [was, is] = [limit(previous), limit(current)];
  return `The run there was ${was ? `limited (--limit ${was})` : 'a full run'}, this one is ${is ? `limited (--limit ${is})` : 'a full run'}: resume with the same --limit, or start the ${is ? 'limited' : 'full'} run in another --out (or with --overwrite).`;
}
