/**
 * The caption reader's own cases beyond the conformance suite: WebDataset keys (first dot), brace ranges,
 * member rejects; JSONL / CSV / Parquet tables with paths, URLs and image bytes.
 */
import { describe, expect, test } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { captionReader } from '../../src/sources/caption.js';
import { splitMemberName } from '../../src/sources/webdataset.js';
import type { CaptionSource } from '../../src/config/types.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTar } from '../helpers/media.js';
import { readAll } from '../helpers/read-source.js';
import { sourceConfig } from '../../src/config/load.js';

const dir = tempDir();
const src = (paths: string[], extra: Partial<CaptionSource> = {}): CaptionSource => sourceConfig({ name: 'cap', kind: 'caption', paths: paths as [string], ...extra });
const img = (n: number) => Buffer.from(`fake-image-bytes-${n}`);

const captionOf = (d: { segments: unknown[] }) => (d.segments[1] as { text: string }).text;

describe('caption pairs: WebDataset', () => {
  test('keys split at the first dot; image + caption pairs in tar order; brace ranges', async () => {
    await writeTar(join(dir, '00000.tar'), [
      ['000000000.jpg', img(0)], ['000000000.txt', 'a red bicycle'], ['000000000.json', '{"url":"x"}'],
      ['000000001.png', img(1)], ['000000001.txt', 'two cats\n'],
    ]);
    await writeTar(join(dir, '00001.tar'), [['sub/000010000.v2.webp', img(2)], ['sub/000010000.v2.txt', 'dotted key']]);
    const { docs, rejects } = await readAll(captionReader, src(['{00000..00001}.tar']), dir);
    expect(rejects).toEqual([]);
    expect(docs.map(captionOf)).toEqual(['a red bicycle', 'two cats', 'dotted key']);
    expect(docs.map((d) => d.id)).toEqual(['00000.tar/000000000', '00000.tar/000000001', '00001.tar/sub/000010000']);
    expect(docs[2].segments[0]).toMatchObject({ type: 'image', image: { kind: 'bytes', name: 'sub/000010000.v2.webp' } });
    expect(Buffer.from((docs[1].segments[0] as { image: { bytes: Uint8Array } }).image.bytes).toString()).toBe('fake-image-bytes-1');
    expect(splitMemberName('a/b/key.with.dots.jpg')).toEqual({ key: 'a/b/key', ext: 'with.dots.jpg' });
  });

  test('a sample without caption or image is a reject; a missing shard is a reject; a broken tar is a reject', async () => {
    await writeTar(join(dir, 'bad.tar'), [
      ['000.jpg', img(0)],
      ['001.txt', 'caption without image'],
      ['002.jpg', img(2)], ['002.txt', '   '],
      ['003.jpg', img(3)], ['003.txt', 'fine'],
    ]);
    const { docs, rejects } = await readAll(captionReader, src(['bad.tar', 'missing.tar']), dir);
    expect(docs.map(captionOf)).toEqual(['fine']);
    expect(rejects.map((r) => [r.file, r.location, r.reason])).toEqual([
      ['missing.tar', 'file', 'file.missing'],
      ['bad.tar', 'member 000.jpg', 'caption.missing'],
      ['bad.tar', 'member 001.txt', 'image.missing'],
      ['bad.tar', 'member 002.jpg', 'caption.empty'],
    ]);
    writeFileSync(join(dir, 'junk.tar'), Buffer.alloc(3000, 7));
    const junk = await readAll(captionReader, src(['junk.tar']), dir);
    expect(junk.rejects.map((r) => r.reason)).toEqual(['tar.unreadable']);
    // A .tgz whose gzip layer is broken: a reject too (it used to leave the tar reader waiting forever).
    const tgz = gzipSync(readFileSync(join(dir, 'bad.tar')));
    tgz.fill(0x55, 20, 60);
    writeFileSync(join(dir, 'broken.tgz'), tgz);
    const broken = await readAll(captionReader, src(['broken.tgz']), dir);
    expect(broken.rejects.map((r) => [r.file, r.location, r.reason])).toEqual([['broken.tgz', 'file', 'tar.unreadable']]);
  });
});

describe('caption pairs: tables', () => {
  test('JSONL and CSV with path columns relative to the file; URLs kept as references', async () => {
    mkdirSync(join(dir, 'imgs'), { recursive: true });
    writeFileSync(join(dir, 'imgs', 'a.jpg'), img(5));
    writeFileSync(join(dir, 'pairs.jsonl'), [
      JSON.stringify({ image: 'imgs/a.jpg', caption: 'from jsonl' }),
      JSON.stringify({ image: 'imgs/none.jpg', caption: 'missing file' }),
      JSON.stringify({ image: 'https://example.org/x.jpg', caption: 'remote' }),
      JSON.stringify({ image: 'imgs/a.jpg' }),
    ].join('\n'));
    const j = await readAll(captionReader, src(['pairs.jsonl']), dir);
    expect(j.docs.map(captionOf)).toEqual(['from jsonl', 'remote']);
    expect(j.docs[1].segments[0]).toMatchObject({ image: { kind: 'url', url: 'https://example.org/x.jpg' } });
    expect(j.rejects.map((r) => [r.location, r.reason])).toEqual([['line 2', 'image.missing'], ['line 4', 'caption.missing']]);
    writeFileSync(join(dir, 'pairs.csv'), 'url,text\nimgs/a.jpg,"a caption, with a comma"\n,no image\n');
    const c = await readAll(captionReader, src(['pairs.csv'], { imageField: 'url', captionField: 'text' }), dir);
    expect(c.docs.map(captionOf)).toEqual(['a caption, with a comma']);
    expect(c.rejects.map((r) => r.reason)).toEqual(['image.missing']);
  });

  test('Parquet with image bytes (img2dataset parquet style)', async () => {
    await parquetWriteFile({
      filename: join(dir, 'pairs.parquet'),
      columnData: [
        { name: 'jpg', data: [img(7), img(8)], type: 'BYTE_ARRAY' },
        { name: 'txt', data: ['first', 'second'], type: 'STRING' },
      ],
    });
    const { docs, rejects } = await readAll(captionReader, src(['pairs.parquet'], { imageField: 'jpg', captionField: 'txt' }), dir);
    expect(rejects).toEqual([]);
    expect(docs.map(captionOf)).toEqual(['first', 'second']);
    expect(Buffer.from((docs[1].segments[0] as { image: { bytes: Uint8Array } }).image.bytes).toString()).toBe('fake-image-bytes-8');
  });
});
