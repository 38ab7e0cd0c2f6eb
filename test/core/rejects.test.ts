import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import { tempDir } from '../helpers/tmp.js';

test('rejects are written as JSONL with provenance and counted by reason and source', async () => {
  const stats = new Stats();
  const path = join(tempDir(), 'rejects.jsonl');
  const r = new Rejects(stats, path, 100);
  r.reject({ source: 'a', file: 'x.jsonl', location: 'line 3', reason: 'json.malformed', detail: 'Unexpected end' });
  r.reject({ source: 'b', file: 'y.tar', location: 'member 1.jpg', reason: 'image.decode' });
  await r.close();
  expect(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual([
    { source: 'a', file: 'x.jsonl', location: 'line 3', reason: 'json.malformed', detail: 'Unexpected end' },
    { source: 'b', file: 'y.tar', location: 'member 1.jpg', reason: 'image.decode' },
  ]);
  expect(stats.get('rejects')).toBe(2);
  expect(stats.get('rejects.json.malformed')).toBe(1);
  expect(stats.getSource('b', 'rejects')).toBe(1);
});

test('a long run of consecutive rejects from one source stops the job; a good record resets the run', () => {
  const r = new Rejects(new Stats(), undefined, 5);
  const bad = (source: string) => r.reject({ source, file: 'f', location: 'l', reason: 'image.decode', detail: 'bad' });
  for (let i = 0; i < 4; i++) bad('a');
  r.ok('a');
  for (let i = 0; i < 4; i++) bad('a');
  for (let i = 0; i < 4; i++) bad('b'); // another source's failures do not count for a
  expect(() => bad('a')).toThrow(/source "a": 5 records in a row were rejected \(last: image.decode at f l: bad\)\. Your data or config is broken/);
  const never = new Rejects(new Stats(), undefined, 0);
  for (let i = 0; i < 500; i++) never.reject({ source: 'a', file: 'f', location: 'l', reason: 'x' });
});
