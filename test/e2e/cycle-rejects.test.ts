/**
 * A cycled source (mix.onExhausted: cycle) is read again for each pass; its bad records are the same records
 * again. rejects.jsonl lists each once, records.read and records.rejected describe the input (not the input
 * times the passes), and the shards still hold every pass's samples (@eN ids).
 */
import { expect, test } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { readShardRows } from '../../src/shards/parquet-io.js';
import { tempDir } from '../helpers/tmp.js';

test('a cycled source reports its rejects once and counts its records once, over three passes', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `document ${i} about rivers and the sea, line ${i}` }));
  lines.splice(4, 0, '{not json');
  lines.splice(9, 0, JSON.stringify({ id: 'empty', other: 'no text field here' }));
  writeFileSync(join(dir, 'data', 'web.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'data', 'books.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `b${i}`, text: `book ${i} ` + 'word '.repeat(30) })).join('\n') + '\n');
  writeFileSync(join(dir, 'p.yaml'), [
    'name: cycle-rejects', 'seed: 3', 'tokenizer: { name: internvl3 }',
    'sources:',
    '  - { name: web, kind: text, paths: ["data/web.jsonl"], idField: id, weight: 0.5 }',
    '  - { name: books, kind: text, paths: ["data/books.jsonl"], idField: id, weight: 0.5 }',
    'mix: { onExhausted: cycle }', 'pack: { maxTokens: 512 }', 'run: { maxConsecutiveRejects: 0 }', '',
  ].join('\n'));
  const out = join(dir, 'out');
  const r = await runPipeline(join(dir, 'p.yaml'), { log: silentLogger, progress: false, out });

  // web is small next to books, so it is read several times before books has been read through once.
  const epochs = (r.stats.mix as { epochs: Record<string, number> }).epochs;
  expect(epochs.web).toBeGreaterThanOrEqual(3);
  const ids: string[] = [];
  for (const s of r.index.shards) for await (const row of readShardRows(join(out, s.files[0].path))) ids.push(...row.sampleIds);
  expect(ids.filter((id) => id.startsWith('d0')).length).toBe(epochs.web); // every pass is in the shards
  expect(new Set(ids).size).toBe(ids.length);

  const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(rejects.map((x) => `${x.source} ${x.location} ${x.reason}`).sort()).toEqual(['web line 10 field.missing', 'web line 5 json.malformed'].sort());
  expect(r.stats.records.read.web).toBe(14);
  expect(r.stats.records.rejected.web).toBe(2);
  expect(r.stats.rejectsByReason).toEqual({ 'field.missing': 1, 'json.malformed': 1 });
  expect(r.stats.records.rejectFraction).toBeCloseTo(2 / (14 + 40), 12);
}, 60_000);
