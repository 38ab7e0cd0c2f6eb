import { expect, test } from 'vitest';
import { PassThrough } from 'node:stream';
import { Progress } from '../../src/core/progress.js';

function capture(isTTY: boolean) {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean };
  out.isTTY = isTTY;
  let text = '';
  out.on('data', (d) => (text += d));
  return { out, text: () => text };
}

test('progress: plain log lines off a TTY, with rate, last record and how long ago', () => {
  const { out, text } = capture(false);
  const p = new Progress(10, out);
  p.record({ source: 'web', file: 'a.jsonl', location: 'line 7' });
  p.tokens = 123_456;
  p.rows = 3;
  p.shards = 1;
  p.print();
  expect(text()).toMatch(/^\[shardloom\] progress records 1 \(\d+\/s\) rejects 0 samples 0 tokens 123\.5k \([\d.]+[kM]?\/s\) rows 3 shards 1 elapsed \d+s \| last: web a\.jsonl line 7 \(0s ago\)\n$/);
});

test('progress: redrawn in place on a TTY, and the line is closed on stop', () => {
  const { out, text } = capture(true);
  const p = new Progress(10, out);
  p.print();
  p.print();
  p.stop();
  expect(text().split('\r\x1b[2K')).toHaveLength(3);
  expect(text().endsWith('\n')).toBe(true);
});
