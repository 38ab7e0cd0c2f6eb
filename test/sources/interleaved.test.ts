/**
 * The interleaved reader's own cases beyond the conformance suite: OBELICS reading order, paragraphs and
 * END_OF_DOCUMENT splits; MMC4 images before their matched sentence, weak matches dropped and counted; rejects.
 */
import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { duck, lit } from '../helpers/duckdb.js';
import { interleavedReader, END_OF_DOCUMENT } from '../../src/sources/interleaved.js';
import type { InterleavedSource } from '../../src/config/types.js';
import type { Document } from '../../src/core/model.js';
import { tempDir } from '../helpers/tmp.js';
import { readAll } from '../helpers/read-source.js';
import { sourceConfig } from '../../src/config/load.js';

const dir = tempDir();
const src = (paths: string[], extra: Partial<InterleavedSource> = {}): InterleavedSource => sourceConfig({ name: 'web', kind: 'interleaved', paths: paths as [string], ...extra });
/** A compact picture of a document: texts as they are, images as [url]. */
const shape = (d: Document) => d.segments.map((s) => (s.type === 'text' ? s.text : s.type === 'image' && s.image.kind === 'url' ? `[${s.image.url}]` : '[?]'));

async function obelics(name: string, rows: { images: (string | null)[]; texts: (string | null)[] }[]) {
  const list = (xs: (string | null)[]) => `[${xs.map((x) => (x === null ? 'NULL' : lit(x))).join(', ')}]::VARCHAR[]`;
  const values = rows.map((r, i) => `(${i}, ${list(r.images)}, ${list(r.texts)}, '[]', '{"url":"https://example.org"}')`).join(', ');
  await duck(`COPY (SELECT images, texts, metadata, general_metadata FROM (VALUES ${values}) t(i, images, texts, metadata, general_metadata) ORDER BY i) TO ${lit(join(dir, name))} (FORMAT parquet)`);
}

describe('OBELICS', () => {
  test('reading order kept, paragraphs merged, "" accepted as empty, END_OF_DOCUMENT splits', async () => {
    await obelics('o.parquet', [
      { images: ['http://a/1.jpg', null, null, 'http://a/2.jpg'], texts: [null, 'First para.', 'Second para.', null] },
      { images: [null, '', 'http://b/1.png'], texts: ['Intro.', `End of one. ${END_OF_DOCUMENT} Start of two.`, ''] },
    ]);
    const { docs, rejects } = await readAll(interleavedReader, src(['o.parquet']), dir);
    expect(rejects).toEqual([]);
    expect(docs.map(shape)).toEqual([
      ['[http://a/1.jpg]', 'First para.\n\nSecond para.', '[http://a/2.jpg]'],
      ['Intro.\n\nEnd of one.'],
      ['Start of two.', '[http://b/1.png]'],
    ]);
    expect(docs.map((d) => d.id)).toEqual(['o.parquet:row0', 'o.parquet:row1/d0', 'o.parquet:row1/d1']);
    expect(docs[2].kind).toBe('interleaved');
  });

  test('rows that break the one-non-null rule or disagree in length are rejects', async () => {
    await obelics('bad.parquet', [
      { images: ['http://x', null], texts: [null] },
      { images: ['http://x', null], texts: ['both', null] },
      { images: [null], texts: [null] },
      { images: [null], texts: ['fine'] },
    ]);
    const { docs, rejects } = await readAll(interleavedReader, src(['bad.parquet']), dir);
    expect(docs.map(shape)).toEqual([['fine']]);
    expect(rejects.map((r) => [r.location, r.reason])).toEqual([
      ['row 0', 'obelics.length_mismatch'],
      ['row 1', 'obelics.bad_position'],
      ['row 2', 'obelics.bad_position'],
    ]);
    expect(rejects[1].detail).toBe('position 0: both an image and a text');
  });
});

describe('MMC4', () => {
  const line = (o: unknown) => JSON.stringify(o);
  test('each image goes before its matched sentence; weak matches dropped and counted', async () => {
    writeFileSync(join(dir, 'm.jsonl'), [
      line({
        text_list: ['A dog.', 'It runs.', 'The end.'],
        image_info: [
          { image_name: 'img1.jpg', raw_url: 'http://m/1.jpg', matched_text_index: 1, matched_sim: 0.3 },
          { image_name: 'img2.jpg', matched_text_index: 0, matched_sim: 0.28 },
          { image_name: 'weak.jpg', matched_text_index: 2, matched_sim: 0.1 },
          { image_name: 'img3.jpg', matched_text_index: 1, matched_sim: 0.25 },
        ],
      }),
      line({ text_list: ['Only text here.'], image_info: [] }),
    ].join('\n'));
    const { docs, rejects, stats } = await readAll(interleavedReader, src(['m.jsonl']), dir);
    expect(rejects).toEqual([]);
    expect(docs.map(shape)).toEqual([
      ['[img2.jpg]', 'A dog.', '[http://m/1.jpg]', '[img3.jpg]', 'It runs. The end.'],
      ['Only text here.'],
    ]);
    expect(Object.fromEntries(stats.counters)).toEqual({ 'images.dropped.similarity': 1, 'images.dropped': 1 });
    const strict = await readAll(interleavedReader, src(['m.jsonl'], { minSimilarity: 0.29 }), dir);
    expect(shape(strict.docs[0])).toEqual(['A dog.', '[http://m/1.jpg]', 'It runs. The end.']);
  });

  test('bad lines are rejects', async () => {
    writeFileSync(join(dir, 'mbad.jsonl'), [
      '{"text_list": "not a list"}',
      line({ text_list: ['a'], image_info: [{ image_name: 'x.jpg', matched_text_index: 5 }] }),
      line({ text_list: [' '], image_info: [] }),
      '{broken',
      line({ text_list: ['ok'] }),
    ].join('\n'));
    const { docs, rejects } = await readAll(interleavedReader, src(['mbad.jsonl']), dir);
    expect(docs.map(shape)).toEqual([['ok']]);
    expect(rejects.map((r) => [r.location, r.reason])).toEqual([
      ['line 1', 'mmc4.bad_row'], ['line 2', 'mmc4.bad_image'], ['line 3', 'mmc4.empty'], ['line 4', 'json.malformed'],
    ]);
  });
});
