/**
 * The text reader's own cases beyond the conformance suite: JSONL (plain, .gz, .zst), Parquet and .txt, id and
 * text fields, CRLF and blank lines, bounded memory on long lines, and each reject reason.
 */
import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { fieldList, textReader } from '../../src/sources/text.js';
import type { TextSource } from '../../src/config/types.js';
import { tempDir } from '../helpers/tmp.js';
import { readAll, texts } from '../helpers/read-source.js';
import { sourceConfig } from '../../src/config/load.js';

const dir = tempDir();
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const src = (paths: string[], extra: Partial<TextSource> = {}): TextSource => sourceConfig({ name: 't', kind: 'text', paths: paths as [string], ...extra });
const zstd = (data: string) => execFileSync('zstd', ['-q', '-c'], { input: data });

describe('text sources: formats', () => {
  test('JSONL, .jsonl.gz and .jsonl.zst give the same documents with file:line ids', async () => {
    const body = jsonl([{ text: 'alpha' }, { text: 'beta γ' }, { text: 'gamma\nwith newline' }]);
    writeFileSync(join(dir, 'a.jsonl'), body);
    writeFileSync(join(dir, 'b.jsonl.gz'), gzipSync(body));
    writeFileSync(join(dir, 'c.jsonl.zst'), zstd(body));
    for (const f of ['a.jsonl', 'b.jsonl.gz', 'c.jsonl.zst']) {
      const { docs, rejects } = await readAll(textReader, src([f]), dir);
      expect(rejects).toEqual([]);
      expect(texts(docs)).toEqual(['alpha', 'beta γ', 'gamma\nwith newline']);
      expect(docs.map((d) => d.id)).toEqual([`${f}:1`, `${f}:2`, `${f}:3`]);
      expect(docs[1].provenance).toEqual({ source: 't', file: f, location: 'line 2' });
    }
  });

  test('configurable field and id field; CRLF lines; blank lines skipped', async () => {
    writeFileSync(join(dir, 'f.jsonl'), '{"body":"one","key":"k1"}\r\n\r\n{"body":"two","key":7}\r\n');
    const { docs, rejects } = await readAll(textReader, src(['f.jsonl'], { field: 'body', idField: 'key' }), dir);
    expect(rejects).toEqual([]);
    expect(texts(docs)).toEqual(['one', 'two']);
    expect(docs.map((d) => d.id)).toEqual(['k1', '7']);
  });

  test('Parquet column, row ids, several row groups', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `row text ${i}`);
    await parquetWriteFile({ filename: join(dir, 'p.parquet'), columnData: [{ name: 'content', data: rows, type: 'STRING' }], rowGroupSize: 10 });
    const { docs, rejects } = await readAll(textReader, src(['p.parquet'], { field: 'content' }), dir);
    expect(rejects).toEqual([]);
    expect(texts(docs)).toEqual(rows);
    expect(docs[24].id).toBe('p.parquet:row24');
    expect(docs[24].provenance.location).toBe('row 24');
  });

  test('plain .txt is one document; globs expand in sorted order', async () => {
    writeFileSync(join(dir, 'z2.txt'), 'second file');
    writeFileSync(join(dir, 'z1.txt'), 'first file\n\nwith paragraphs');
    const { docs } = await readAll(textReader, src(['z*.txt']), dir);
    expect(texts(docs)).toEqual(['first file\n\nwith paragraphs', 'second file']);
    expect(docs.map((d) => d.id)).toEqual(['z1.txt', 'z2.txt']);
  });

  test('a long stream is read with bounded memory (a line split across many chunks)', async () => {
    const long = 'x'.repeat(3_000_000);
    writeFileSync(join(dir, 'long.jsonl'), jsonl([{ text: long }, { text: 'after' }]));
    const { docs } = await readAll(textReader, src(['long.jsonl']), dir);
    expect(docs.map((d) => (d.segments[0] as { text: string }).text.length)).toEqual([3_000_000, 5]);
  });
});

describe('text sources: bad input becomes rejects and the rest is read', () => {
  test('malformed JSON, wrong type, missing field, empty, invalid UTF-8, not an object', async () => {
    const lines = [
      '{"text":"ok 1"}',
      '{"text": "unterminated',
      '{"text": 42}',
      '{"other": "x"}',
      '{"text": "   "}',
      '[1,2]',
    ];
    const buf = Buffer.concat([Buffer.from(lines.join('\n') + '\n'), Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), Buffer.from('{"text":"ok 2"}\n')]);
    writeFileSync(join(dir, 'bad.jsonl'), buf);
    const { docs, rejects } = await readAll(textReader, src(['bad.jsonl']), dir);
    expect(texts(docs)).toEqual(['ok 1', 'ok 2']);
    expect(rejects.map((r) => [r.location, r.reason])).toEqual([
      ['line 2', 'json.malformed'],
      ['line 3', 'field.type'],
      ['line 4', 'field.missing'],
      ['line 5', 'text.empty'],
      ['line 6', 'json.not_object'],
      ['line 7', 'text.invalid_utf8'],
    ]);
    expect(rejects.every((r) => r.file === 'bad.jsonl' && r.source === 't')).toBe(true);
    // A missing field says what the record has, so a wrong `field:` found late (after the first records the
    // start-up check reads) still names the fields in the reject breaker's message.
    expect(rejects[2].detail).toBe('no "text" field; the record has the field "other"');
  });

  test('the fields a record has, for a message', () => {
    expect(fieldList({})).toBe('no fields');
    expect(fieldList({ a: 1, b: 2 })).toBe('the fields "a", "b"');
    expect(fieldList(Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`k${i}`, i])))).toBe('the fields "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9" and 3 more');
  });

  test('a corrupt gzip file is verified before any line is used: no record of it, one reject for the file', async () => {
    const gz = gzipSync(jsonl(Array.from({ length: 2000 }, (_, i) => ({ text: `line ${i} ` + 'pad '.repeat(20) }))));
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    writeFileSync(join(dir, 'trunc.jsonl.gz'), cut);
    const garbage = Buffer.from(gz);
    garbage.fill(0x55, 200, 400);
    writeFileSync(join(dir, 'garbage.jsonl.gz'), garbage);
    for (const f of ['trunc.jsonl.gz', 'garbage.jsonl.gz']) {
      const { docs, rejects } = await readAll(textReader, src([f]), dir);
      expect(docs).toHaveLength(0);
      expect(rejects).toHaveLength(1);
      expect(rejects[0].reason).toBe('file.gzip_corrupt');
      expect(rejects[0].location).toBe('after line 0');
    }
  });

  test('corrupt and truncated zstd', async () => {
    const z = zstd(jsonl(Array.from({ length: 500 }, (_, i) => ({ text: `zline ${i}` }))));
    writeFileSync(join(dir, 'trunc.jsonl.zst'), z.subarray(0, z.length - 20));
    writeFileSync(join(dir, 'notzstd.jsonl.zst'), Buffer.from('this is not zstd at all'));
    for (const f of ['trunc.jsonl.zst', 'notzstd.jsonl.zst']) {
      const { rejects } = await readAll(textReader, src([f]), dir);
      expect(rejects.map((r) => r.reason)).toEqual(['file.zstd_corrupt']);
    }
  });

  test('a missing listed file is a reject; truncated Parquet and a missing column are rejects', async () => {
    await parquetWriteFile({ filename: join(dir, 'good.parquet'), columnData: [{ name: 'text', data: ['a', 'b'], type: 'STRING' }] });
    const { readFileSync } = await import('node:fs');
    const full = readFileSync(join(dir, 'good.parquet'));
    writeFileSync(join(dir, 'trunc.parquet'), full.subarray(0, full.length - 30));
    const missing = await readAll(textReader, src(['nope.jsonl', 'good.parquet']), dir);
    expect(missing.rejects.map((r) => [r.file, r.reason])).toEqual([['nope.jsonl', 'file.missing']]);
    expect(texts(missing.docs)).toEqual(['a', 'b']);
    const trunc = await readAll(textReader, src(['trunc.parquet']), dir);
    expect(trunc.rejects.map((r) => r.reason)).toEqual(['parquet.unreadable']);
    const col = await readAll(textReader, src(['good.parquet'], { field: 'body' }), dir);
    expect(col.rejects[0].reason).toBe('parquet.unreadable');
    expect(col.rejects[0].detail).toMatch(/column "body" not in the file \(it has: text\)/);
  });

  test('documents over maxDocumentBytes are rejected without being held in memory', async () => {
    writeFileSync(join(dir, 'big.jsonl'), jsonl([{ text: 'y'.repeat(5000) }, { text: 'small' }]));
    const { docs, rejects } = await readAll(textReader, src(['big.jsonl'], { maxDocumentBytes: 1000 }), dir);
    expect(texts(docs)).toEqual(['small']);
    expect(rejects.map((r) => r.reason)).toEqual(['text.too_large']);
    writeFileSync(join(dir, 'big.txt'), 'z'.repeat(5000));
    const t = await readAll(textReader, src(['big.txt'], { maxDocumentBytes: 1000 }), dir);
    expect(t.rejects.map((r) => r.reason)).toEqual(['text.too_large']);
  });

  test('unknown extension is a reject naming the fix', async () => {
    writeFileSync(join(dir, 'data.csvx'), 'hello');
    const { rejects } = await readAll(textReader, src(['data.csvx']), dir);
    expect(rejects[0].reason).toBe('file.unknown_format');
    expect(rejects[0].detail).toMatch(/format:/);
  });
});
