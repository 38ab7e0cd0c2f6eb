/**
 * Crash safety: a real run killed at several points (SIGKILL) and continued with --resume ends with
 * shards byte-identical to an uninterrupted run; SIGTERM stops cleanly with an incomplete index.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { cli } from '../helpers/cli.js';

const dir = tempDir();
const cfg = join(dir, 'resume.yaml');

beforeAll(() => {
  // ~1 MB of text in 2 files, many small shards so that a kill lands between and inside shard writes.
  const words = readFileSync('/usr/share/common-licenses/GPL-3', 'utf8').split(/\s+/);
  for (let f = 0; f < 2; f++) {
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) lines.push(JSON.stringify({ text: words.slice((i * 37 + f * 11) % 5000, ((i * 37 + f * 11) % 5000) + 60 + (i % 300)).join(' ') }));
    writeFileSync(join(dir, `t${f}.jsonl`), lines.join('\n'));
  }
  writeFileSync(cfg, `sources:\n  - {name: t, kind: text, paths: ["t*.jsonl"]}\noutput:\n  shardMaxRows: 6\n  formats: [parquet, arrow]\npack:\n  maxTokens: 2048\ntokenizer:\n  workers: 1\nrun:\n  progressInterval: 0.2\n`);
});

const BIN = resolve('dist/cli/main.js');
const hashes = (out: string) => {
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  return index.shards.map((s: { files: { path: string; sha256: string }[] }) => s.files.map((f) => `${f.path}:${f.sha256}`).join()).join('\n');
};

/** Start a run and kill it with `signal` once `afterShards` shard(s) have been journaled. */
function runAndKill(out: string, signal: NodeJS.Signals, afterShards: number, extraDelayMs: number): Promise<number | null> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, 'run', cfg, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.resume();
    const timer = setInterval(() => {
      const j = join(out, 'progress.jsonl');
      const n = existsSync(j) ? readFileSync(j, 'utf8').split('\n').filter(Boolean).length : 0;
      if (n >= afterShards) {
        clearInterval(timer);
        setTimeout(() => child.kill(signal), extraDelayMs);
      }
    }, 5);
    child.on('exit', (code, sig) => { clearInterval(timer); res(sig ? null : code); });
  });
}

describe('resume', () => {
  let reference = '';
  test('uninterrupted reference run', () => {
    const r = cli(['run', cfg, '--out', join(dir, 'ref'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    reference = hashes(join(dir, 'ref'));
    expect(reference.split('\n').length).toBeGreaterThan(8);
  });

  test.each([[1, 0], [4, 9]])('SIGKILL after %i shard(s) + %i ms, then --resume: byte-identical output', async (after, delay) => {
    const out = join(dir, `kill-${after}-${delay}`);
    await runAndKill(out, 'SIGKILL', after, delay);
    expect(existsSync(join(out, 'index.json')) && JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).complete).not.toBe(true);
    const again = cli(['run', cfg, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already holds the output of this same config; pass --resume to continue it/);
    const resumed = cli(['run', cfg, '--out', out, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resume: keeping \d+ verified shard/);
    expect(hashes(out)).toBe(reference);
    expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('SIGTERM stops cleanly: exit 143, finished shards kept, index marked incomplete; --resume finishes', async () => {
    const out = join(dir, 'term');
    const code = await runAndKill(out, 'SIGTERM', 2, 0);
    expect(code).toBe(143);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.complete).toBe(false);
    expect(index.shards.length).toBeGreaterThanOrEqual(2);
    const v = cli(['validate', out]);
    expect(v.stdout).toMatch(/incomplete/);
    expect(v.status).toBe(1);
    expect(cli(['run', cfg, '--out', out, '--resume', '--quiet']).status).toBe(0);
    expect(hashes(out)).toBe(reference);
  });

  test('--resume refuses a directory of another config, and goes with --overwrite never', () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, readFileSync(cfg, 'utf8').replace('maxTokens: 2048', 'maxTokens: 1024'));
    const r = cli(['run', other, '--out', join(dir, 'ref'), '--resume']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot resume: .* holds a run of config [0-9a-f]+, this config is [0-9a-f]+/);
    expect(cli(['run', cfg, '--out', join(dir, 'ref'), '--resume', '--overwrite']).status).toBe(2);
  });
});
