import { describe, expect, test } from 'vitest';
import { PassThrough } from 'node:stream';
import { Progress, fitLine, duration, type ProgressOptions } from '../../src/core/progress.js';
import type { Sample } from '../../src/core/model.js';

function capture(isTTY: boolean, columns?: number) {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  out.isTTY = isTTY;
  out.columns = columns;
  let text = '';
  out.on('data', (d) => (text += d));
  return { out, text: () => text };
}

/** A progress with a clock the test moves: `clock.t` in ms. */
function withClock(opts: Omit<ProgressOptions, 'intervalS' | 'now'> & { intervalS?: number }) {
  const clock = { t: 1_000_000 };
  const p = new Progress({ intervalS: 10, format: 'text', ...opts, now: () => clock.t });
  return { p, clock };
}

const LONG = { source: 'interleaved-web', file: 'data/obelics/2024-05/shard-000123-of-004096.parquet', location: 'row 123456' };

describe('progress: percent and ETA', () => {
  test('against mix.totalTokens, with a rate smoothed over ticks so that the ETA does not jump', () => {
    const { p, clock } = withClock({ totalTokens: 1_000_000 });
    clock.t += 10_000;
    p.tokens = 100_000; // 10k tokens/s so far
    p.tick();
    let s = p.snapshot();
    expect(s.basis).toBe('tokens');
    expect(s.percent).toBeCloseTo(10, 6);
    expect(s.tokensRate).toBeCloseTo(10_000, 6);
    expect(s.etaS).toBeCloseTo(90, 6);
    // A burst (10 s at 50k/s) moves the smoothed rate part of the way only.
    clock.t += 10_000;
    p.tokens = 600_000;
    p.tick();
    s = p.snapshot();
    const a = 1 - Math.exp(-10 / 30);
    expect(s.tokensRate).toBeCloseTo(10_000 + a * 40_000, 3);
    expect(s.tokensRate).toBeLessThan(25_000);
    expect(s.etaS).toBeCloseTo(400_000 / (10_000 + a * 40_000), 3);
    expect(s.percent).toBeCloseTo(60, 6);
    expect(fitLine(s)).toMatch(/^60\.0% ETA \d+s tokens 600\.0k\/1\.00M \([\d.]+k\/s\) /);
  });

  test('more tokens than the target: 100 %, ETA 0', () => {
    const { p, clock } = withClock({ totalTokens: 1000 });
    clock.t += 1000;
    p.tokens = 1500;
    p.tick();
    expect(p.snapshot()).toMatchObject({ percent: 100, etaS: 0 });
  });

  test('without totalTokens: against the input bytes, a file counted done once the mixer moves past it', () => {
    const { p, clock } = withClock({
      inputs: [
        { source: 'a', units: [{ display: 'a1', size: 100 }, { display: 'a2', size: 300 }] },
        { source: 'b', units: [{ display: 'b1', size: 600 }] },
      ],
    });
    const sample = (file: string) => ({ provenance: { source: 'a', file, location: 'line 1' } }) as Sample;
    p.record(sample('a1').provenance);
    p.record(sample('a2').provenance); // reading runs ahead of the mixer: not done yet
    p.dequeued(sample('a1'));
    clock.t += 5_000;
    p.tick();
    expect(p.snapshot()).toMatchObject({ basis: 'input', done: 0, total: 1000, percent: 0, etaS: null });
    p.dequeued(sample('a2'));
    expect(p.snapshot()).toMatchObject({ done: 100, percent: 10, etaS: 45 }); // 100 B in 5 s: 900 B in 45 s
    p.dequeued(sample('a1')); // a later epoch starts over: nothing is counted twice
    expect(p.snapshot()).toMatchObject({ done: 100 });
    p.sourceDone('a');
    clock.t += 5_000;
    expect(p.snapshot()).toMatchObject({ done: 400, percent: 40, etaS: 15 }); // 400 B in 10 s
    p.sourceDone('b');
    p.sourceDone('b'); // once only
    expect(p.snapshot()).toMatchObject({ done: 1000, percent: 100, etaS: 0 });
    expect(fitLine(p.snapshot())).toContain('input 1.0kB/1.0kB');
  });

  test('neither totalTokens nor inputs: no percent, the counters only', () => {
    const { p } = withClock({});
    expect(p.snapshot()).toMatchObject({ basis: null, percent: null, etaS: null });
    expect(fitLine(p.snapshot())).toMatch(/^tokens 0 \(0\/s\) records 0 /);
  });

  test('queue depths: documents between reading and the mixer queue, samples in that queue', () => {
    const { p } = withClock({ inputs: [{ source: 'a', units: [{ display: 'f', size: 10 }] }] });
    const docs = Array.from({ length: 5 }, (_, i) => ({ source: 'a', file: 'f', location: `line ${i + 1}` }));
    for (const d of docs) p.record(d);
    const sample = (i: number) => ({ provenance: docs[i] }) as Sample;
    p.queued(sample(0));
    p.queued(sample(0)); // a document split in two samples
    p.queued(sample(1));
    expect(p.snapshot().queue).toEqual({ work: 3, mixer: 3 });
    p.dequeued(sample(0));
    p.queued(sample(3)); // document 3 (2 was rejected on the way) reached the queue
    expect(p.snapshot().queue).toEqual({ work: 1, mixer: 3 });
    expect(fitLine(p.snapshot())).toContain('queue work 1 mixer 3');
  });

  test('durations', () => {
    expect([0, 45, 192, 3720, 2 * 86400 + 3 * 3600].map(duration)).toEqual(['0s', '45s', '3m12s', '1h02m', '2d03h']);
  });
});

describe('progress: the line on a terminal', () => {
  function busy() {
    const { p, clock } = withClock({ totalTokens: 2_920_000_000 });
    p.record(LONG);
    clock.t += 192_000;
    Object.assign(p, { tokens: 1_234_567_890, rows: 120, shards: 2, samples: 456, rejects: 3 });
    p.tick();
    return p;
  }

  test.each([40, 80, 200])('fits %i columns: never wider than the terminal, one line, redrawn in place', (columns) => {
    const { out, text } = capture(true, columns);
    const p = new Progress({ intervalS: 10, out, format: 'text', totalTokens: 2_920_000_000 });
    p.record(LONG);
    p.tokens = 1_234_567_890;
    p.print();
    p.print();
    p.stop();
    const draws = text().split('\r\x1b[2K');
    expect(draws).toHaveLength(3);
    for (const d of draws.slice(1)) {
      const line = d.replace(/\n$/, '');
      expect(line.length).toBeLessThan(columns);
      expect(line).not.toMatch(/[\n\r\x1b]/);
      expect(line).toMatch(/^42\.3% ETA /);
    }
    expect(text().endsWith('\n')).toBe(true);
  });

  test('what is given up to fit: the path first (from the left), then the last record, then the least useful fields', () => {
    const s = busy().snapshot();
    const whole = fitLine(s);
    expect(whole).toBe(`42.3% ETA 4m22s tokens 1.23G/2.92G (6.43M/s) records 1 (0/s) rejects 3 samples 456 rows 120 shards 2 queue work 0 mixer 0 elapsed 3m12s | last: interleaved-web ${LONG.file} row 123456 (192s ago)`);
    expect(fitLine(s, whole.length)).toBe(whole);
    const shorter = fitLine(s, whole.length - 20);
    expect(shorter).toHaveLength(whole.length - 20);
    expect(shorter).toMatch(/\| last: interleaved-web …[^ ]*shard-000123-of-004096\.parquet row 123456 \(192s ago\)$/);
    expect(fitLine(s, 79)).toBe('42.3% ETA 4m22s tokens 1.23G/2.92G (6.43M/s) rows 120 shards 2 | idle 192s');
    expect(fitLine(s, 39)).toBe('42.3% ETA 4m22s | idle 192s');
    expect(fitLine(s, 10)).toHaveLength(10);
  });

  test('control characters of a file name never reach the terminal', () => {
    const { p } = withClock({});
    p.record({ source: 'a', file: 'evil\x1b[2J\nname.jsonl', location: 'line 1' });
    expect(fitLine(p.snapshot())).toContain('last: a evil?[2J?name.jsonl line 1');
  });
});

describe('progress: off a terminal, and as JSON', () => {
  test('one plain timestamped line per print, whole, no control characters', () => {
    const { out, text } = capture(false, 40);
    const clock = { t: Date.UTC(2026, 2, 4, 5, 6, 7, 89) };
    const p = new Progress({ intervalS: 10, out, format: 'text', now: () => clock.t });
    p.record({ source: 'web', file: 'a.jsonl', location: 'line 7' });
    p.tokens = 123_456;
    p.rows = 3;
    p.shards = 1;
    p.print();
    clock.t += 2000;
    p.print();
    p.stop();
    const lines = text().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    // Rates once a second has passed: before, they would be noise.
    expect(lines[0]).toBe('2026-03-04T05:06:07.089Z [shardloom] progress tokens 123.5k (0/s) records 1 (0/s) rejects 0 samples 0 rows 3 shards 1 queue work 0 mixer 0 elapsed 0s | last: web a.jsonl line 7 (0s ago)');
    expect(lines[1]).toBe('2026-03-04T05:06:09.089Z [shardloom] progress tokens 123.5k (61.7k/s) records 1 (1/s) rejects 0 samples 0 rows 3 shards 1 queue work 0 mixer 0 elapsed 2s | last: web a.jsonl line 7 (2s ago)');
    for (const l of lines) expect(l).not.toMatch(/[\x00-\x1f]/);
  });

  test('json: one object per line with the figures as fields, on a terminal too', () => {
    const { out, text } = capture(true, 40);
    const clock = { t: 5_000_000 };
    const p = new Progress({ intervalS: 10, out, format: 'json', totalTokens: 1000, now: () => clock.t, inputs: [{ source: 'web', units: [{ display: 'a.jsonl', size: 10 }] }] });
    p.record({ source: 'web', file: 'a.jsonl', location: 'line "7"\n' });
    clock.t += 4000;
    p.tokens = 400;
    p.print();
    p.stop();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      ts: new Date(5_004_000).toISOString(), level: 'info', msg: 'progress',
      tokens: 400, totalTokens: 1000, percent: 40, etaSeconds: 6, rate: 100, basis: 'tokens',
      records: 1, recordsRate: 0.3, rejects: 0, samples: 0, rows: 0, shards: 0, queue: { work: 1, mixer: 0 },
      elapsedSeconds: 4, idleSeconds: 4, last: { source: 'web', file: 'a.jsonl', location: 'line "7"\n' },
    });
  });

  test('a started progress prints its final figures once more when it stops', () => {
    const { out, text } = capture(false);
    const p = new Progress({ intervalS: 3600, out, format: 'text' });
    p.start();
    p.rows = 7;
    p.stop();
    p.stop();
    expect(text().split('\n')).toHaveLength(2);
    expect(text()).toContain(' rows 7 shards 0 ');
  });

  test('disabled: no timer and no output', () => {
    const { out, text } = capture(false);
    const p = new Progress({ intervalS: 0.1, out, enabled: false });
    p.start();
    p.stop();
    expect(text()).toBe('');
  });
});
