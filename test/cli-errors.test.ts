/**
 * Operator experience: each way a command is commonly misused ends in one line on stderr and the README's exit
 * status — never a stack trace, never a hang. Each case is one CLI start (the fast suite's budget).
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();
const BIN = resolve('dist/cli/main.js');
mkdirSync(join(dir, 'data'));
writeFileSync(join(dir, 'data', 'a.jsonl'), Array.from({ length: 120 }, (_, i) => JSON.stringify({ id: `d${i}`, content: `hello ${i}`, lang: 'en' })).join('\n') + '\n');
const config = (name: string, extra = '') => {
  writeFileSync(join(dir, name), `name: t\noutput: {dir: out}\nsources:\n  - name: web\n    kind: text\n    paths: [data/a.jsonl]\n${extra}`);
  return join(dir, name);
};
const good = config('good.yaml', '    field: content\n');
/** stderr as lines; a stack trace would show as "    at …" lines. */
const oneLine = (stderr: string) => {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  return stderr.trimEnd();
};

describe('CLI errors: one line and the documented exit status', () => {
  test('output piped into `head`: the closed pipe ends the command quietly with 0, no EPIPE trace', () => {
    // A run directory whose stats are far bigger than a pipe holds, so that head closes it mid-write.
    const run = join(dir, 'big-run');
    mkdirSync(run);
    writeFileSync(join(run, 'index.json'), JSON.stringify({ totals: { rows: 1 }, targets: {} }));
    writeFileSync(join(run, 'stats.json'), JSON.stringify({ padding: Array.from({ length: 40_000 }, (_, i) => `row ${i} ${'x'.repeat(40)}`) }));
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" stats "${run}" --json | head -c 1 >/dev/null; echo "exit \${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('exit 0\n');
  });

  test('--out naming an existing file: exit 2, naming the path', () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const r = cli(['run', good, '--out', join(dir, 'a-file'), '--quiet'], { timeoutMs: 60_000 });
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe(`shardloom: output directory ${join(dir, 'a-file')} is not a directory; choose another --out (or output.dir)`);
  });

  test.skipIf(!existsSync('/proc/self'))('--out under /proc (mkdir there never succeeds): exit 3 at once, naming the path', () => {
    const r = cli(['run', good, '--out', '/proc/shardloom-x/out', '--quiet'], { timeoutMs: 60_000 });
    expect(r.status).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/^shardloom: cannot create output directory \/proc\/shardloom-x\/out: ENOENT: no such file or directory, mkdir '\/proc\/shardloom-x'$/);
  });

  test('a field the records do not have: exit 2 before anything is written, naming source, key, line and the fields there are', () => {
    const r = cli(['run', config('wrong-field.yaml', '    field: body\n'), '--quiet'], { timeoutMs: 60_000 });
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe(
      `shardloom: source "web": ${join(dir, 'wrong-field.yaml')}:7: sources[0].field: "body" — none of the first 100 records of data/a.jsonl has a "body" field; ` +
        'the first record (line 1) has: id, content, lang. Set sources[0].field to the field that holds it.',
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  test('a usage error points to the subcommand\'s --help; a bad --limit is one', () => {
    const unknown = cli(['run', good, '--bogus'], { timeoutMs: 60_000 });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('shardloom: Unknown argument: bogus\nRun "shardloom run --help" for usage.\n');
    const limit = cli(['run', good, '--limit', '0'], { timeoutMs: 60_000 });
    expect(limit.status).toBe(2);
    expect(limit.stderr).toBe('shardloom: Expected --limit to be a whole number ≥ 1 but received 0\nRun "shardloom run --help" for usage.\n');
  });
});
