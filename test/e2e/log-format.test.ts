/**
 * `--log-format json` on a whole (tiny) run: stderr is one JSON object per line — log lines, progress lines
 * with their figures — so a log collector needs no parser of ours. (The error printer: test/core/log.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
writeFileSync(join(dir, 'docs.jsonl'), Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `Document ${i}: ${'some words here '.repeat(40 + i)}` })).join('\n') + '\n');
const config = (name: string, extra = '') => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nsources:\n  - name: t\n    kind: text\n    paths: [docs.jsonl]\nrun:\n  progressInterval: 0.1\npack:\n  maxTokens: 512\n${extra}`);
  return file;
};

/** The stderr lines, each parsed (JSON.parse throws on any other line, the mix verdict's included). */
function parse(stderr: string) {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return { objects: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('--log-format json', () => {
  test('a run: every log and progress line is an object with ts, level, msg; progress carries its figures', () => {
    const r = cli(['--log-format', 'json', 'run', config('by-tokens', 'mix:\n  totalTokens: 3000\n'), '--out', join(dir, 'o1')]);
    expect(r.status, r.stderr).toBe(0);
    const { objects } = parse(r.stderr);
    for (const o of objects) {
      expect(o.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(['debug', 'info', 'warn', 'error']).toContain(o.level);
      expect(typeof o.msg).toBe('string');
    }
    expect(objects.some((o) => String(o.msg).startsWith('done: '))).toBe(true);
    const progress = objects.filter((o) => o.msg === 'progress');
    expect(progress.length).toBeGreaterThan(0); // at least the final one
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ basis: 'tokens', totalTokens: 3000, records: expect.any(Number), rows: expect.any(Number), queue: { work: expect.any(Number), mixer: expect.any(Number) } });
    expect(last.tokens).toBeGreaterThanOrEqual(3000);
    expect(last.percent).toBe(100);
    expect(last.etaSeconds).toBe(0);
    expect(typeof last.rate).toBe('number');
  });

  test('without totalTokens: percent of the input, by SHARDLOOM_LOG_FORMAT', () => {
    const r = cli(['run', config('by-input'), '--out', join(dir, 'o2')], { env: { SHARDLOOM_LOG_FORMAT: 'json' } });
    expect(r.status, r.stderr).toBe(0);
    const progress = parse(r.stderr).objects.filter((o) => o.msg === 'progress');
    expect(progress.at(-1)).toMatchObject({ basis: 'input', percent: 100, inputBytesDone: progress.at(-1)!.inputBytes });
  });
});
