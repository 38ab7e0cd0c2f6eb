/**
 * Corrupt compressed input never reaches a shard: zstd frames are checked against their XXH64 checksum and
 * gzip members against CRC-32/ISIZE before any of their bytes are used. Real files, made with the `zstd`
 * tool and node's zlib at test time.
 */
import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decompress } from 'fzstd';
import { fileBytes } from '../../src/sources/lines.js';
import type { CaptionSource, Source, TextSource } from '../../src/config/types.js';
import type { RejectRecord } from '../../src/core/rejects.js';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { tempDir } from '../helpers/tmp.js';
import { readSource } from '../helpers/read-source.js';
import { duck, lit } from '../helpers/duckdb.js';
import { sourceConfig } from '../../src/config/load.js';

const dir = tempDir();
const file = (name: string, bytes: Uint8Array | string) => (writeFileSync(join(dir, name), bytes), name);
const zstd = (input: string | Uint8Array, ...args: string[]) => execFileSync('zstd', ['-q', '-c', ...args], { input });

/** Deterministic JSONL records `{"id":"rN","text":…}` with enough variety to need compressed blocks. */
function records(from: number, to: number): string {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  let s = 7 + from;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) % 997;
  const lines = [];
  for (let i = from; i < to; i++) lines.push(JSON.stringify({ id: `r${i}`, text: `record ${i}: ` + Array.from({ length: 12 }, () => words[next() % 12] + next()).join(' ') }));
  return lines.map((l) => l + '\n').join('');
}
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r${from + i}`);

const read = (cfg: Source) => readSource(cfg, dir);
const text = (name: string) => read(sourceConfig({ name: 't', kind: 'text', paths: [name], idField: 'id' }));

const flip = (b: Uint8Array, at: number, mask = 0x10) => {
  const c = Buffer.from(b);
  c[at] ^= mask;
  return c;
};

describe('compressed input: the good path is unchanged', () => {
  test('.zst (several frames, a skippable one, an empty one, one without checksum) and .gz (two members) give the records of the plain file', async () => {
    const body = records(0, 3000);
    const half = body.indexOf('\n', body.length >> 1) + 1;
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    file('plain.jsonl', body);
    file('multi.jsonl.zst', Buffer.concat([zstd(body.slice(0, half)), skippable, zstd(''), zstd(body.slice(half), '--no-check')]));
    file('single.jsonl.zst', zstd(body, '-19'));
    file('two.jsonl.gz', Buffer.concat([gzipSync(body.slice(0, half)), gzipSync(body.slice(half))]));
    const plain = await text('plain.jsonl');
    expect(plain.ids).toEqual(ids(0, 3000));
    for (const f of ['multi.jsonl.zst', 'single.jsonl.zst', 'two.jsonl.gz']) {
      const r = await text(f);
      expect(r.rejects, f).toEqual([]);
      expect(r.docs.map((d) => d.segments), f).toEqual(plain.docs.map((d) => d.segments));
      expect(r.ids, f).toEqual(plain.ids);
    }
  });

  test('fileBytes gives the same bytes whatever the read size, in pieces of at most one block (128 KiB)', async () => {
    const body = records(0, 500);
    const name = file('sizes.jsonl.zst', Buffer.concat([zstd(body), zstd(body, '--no-check'), zstd('a'.repeat(3 << 20))]));
    const want = Buffer.concat([Buffer.from(body), Buffer.from(body), Buffer.from('a'.repeat(3 << 20))]);
    for (const highWaterMark of [3, 7, 4096, 1 << 20]) {
      const pieces: Uint8Array[] = [];
      for await (const p of fileBytes(join(dir, name), { highWaterMark })) pieces.push(p);
      expect(Buffer.concat(pieces).equals(want), `highWaterMark ${highWaterMark}`).toBe(true);
      expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(128 << 10);
    }
    // An aborted run does not wait for a whole verification pass: the file yields nothing.
    const ac = new AbortController();
    ac.abort();
    const after: Uint8Array[] = [];
    for await (const p of fileBytes(join(dir, name), { highWaterMark: 1024, signal: ac.signal })) after.push(p);
    expect(after).toEqual([]);
  });
});

describe('corrupt zstd', () => {
  test('a flipped byte that fzstd alone decodes into valid JSON lines under other ids is rejected, with no record emitted', async () => {
    // Uncompressed literals: the record bytes appear as they are in the frame, so flipping a digit there
    // changes one character of the output and nothing else. Find such a byte that turns an id into another one.
    const body = records(0, 60);
    const z = zstd(body, '--no-compress-literals');
    const good = new Set(ids(0, 60));
    let bad: Buffer | null = null;
    for (let at = 6; at < z.length - 4 && !bad; at++) {
      if (z[at] < 0x30 || z[at] > 0x39) continue;
      const c = Buffer.from(z);
      c[at] = 0x30 + ((z[at] - 0x30 + 1) % 10);
      let out: string;
      try {
        out = Buffer.from(decompress(c)).toString();
      } catch {
        continue;
      }
      const lines = out.trim().split('\n');
      try {
        const seen = lines.map((l) => (JSON.parse(l) as { id: string }).id);
        if (lines.length === 60 && new Set(seen).size < 60 && seen.every((id) => good.has(id))) bad = c;
      } catch {
        /* not a silent corruption */
      }
    }
    expect(bad, 'a byte whose flip still decodes to valid JSON with a duplicated id').not.toBeNull();
    const r = await text(file('silent.jsonl.zst', bad!));
    expect(r.docs).toEqual([]);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]).toMatchObject({ file: 'silent.jsonl.zst', source: 't', reason: 'file.zstd_corrupt' });
    expect(r.rejects[0].detail).toMatch(/frame 1 \(compressed byte 0\): checksum mismatch \(stored 0x[0-9a-f]{8}, content hashes to 0x[0-9a-f]{8}\); nothing of the file is used/);
  });

  test('a byte flipped in the middle of a multi-block frame: no record of that frame', async () => {
    const z = zstd(records(0, 4000));
    for (const at of [z.length >> 1, (z.length >> 1) + 1, Math.floor(z.length * 0.7)]) {
      const r = await text(file(`mid-${at}.jsonl.zst`, flip(z, at, 0x01)));
      expect(r.docs, `flip at ${at}`).toEqual([]);
      expect(r.rejects.map((x) => x.reason)).toEqual(['file.zstd_corrupt']);
      expect(r.rejects[0].detail).toMatch(/^zstd: frame 1 .*nothing of the file is used$/);
    }
  });

  test('two frames, the second corrupt: the records of the first are kept, the rest rejected; a line cut at the boundary is not emitted', async () => {
    const body = records(0, 2000);
    const cut = body.indexOf('\n', body.length >> 1) + 20; // the first frame ends inside a line
    const first = zstd(body.slice(0, cut));
    const second = zstd(body.slice(cut));
    const kept = body.slice(0, cut).split('\n').length - 1;
    const name = file('second-bad.jsonl.zst', Buffer.concat([first, flip(second, second.length >> 1, 0x04)]));
    const r = await text(name);
    expect(r.ids).toEqual(ids(0, kept));
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0]).toMatchObject({ file: name, location: `after line ${kept}`, reason: 'file.zstd_corrupt' });
    expect(r.rejects[0].detail).toContain(`frame 2 (compressed byte ${first.length})`);
    expect(r.rejects[0].detail).toContain(`kept the 1 frame(s) before it (${Buffer.byteLength(body.slice(0, cut))} decompressed bytes), rejected the rest of the file`);
    // Another reader over the same kind of file: captions as JSONL (image by URL).
    const caps = Array.from({ length: 600 }, (_, i) => JSON.stringify({ url: `http://x/${i}.jpg`, caption: `caption ${i} ` + 'words '.repeat(i % 13) }) + '\n').join('');
    const c1 = zstd(caps.slice(0, caps.indexOf('\n', 9000) + 1));
    const c2 = zstd(caps.slice(caps.indexOf('\n', 9000) + 1));
    file('caps.jsonl.zst', Buffer.concat([c1, flip(c2, c2.length >> 1, 0x02)]));
    const cr = await read(sourceConfig({ name: 'c', kind: 'caption', paths: ['caps.jsonl.zst'], imageField: 'url' }));
    expect(cr.docs.length).toBe(caps.slice(0, caps.indexOf('\n', 9000) + 1).split('\n').length - 1);
    expect(cr.rejects.map((x) => [x.location, x.reason])).toEqual([['file', 'file.zstd_corrupt']]);
  });

  test('a truncated .zst is rejected whole, wherever it is cut', async () => {
    const z = zstd(records(0, 1500));
    for (const keep of [3, 5, 9, 200, z.length >> 1, z.length - 5, z.length - 1]) {
      const r = await text(file(`trunc-${keep}.jsonl.zst`, z.subarray(0, keep)));
      expect(r.docs, `cut at ${keep}`).toEqual([]);
      expect(r.rejects.map((x) => x.reason)).toEqual(['file.zstd_corrupt']);
      expect(r.rejects[0].detail).toMatch(/truncated: the file ends/);
    }
    const junk = await text(file('junk-after.jsonl.zst', Buffer.concat([z, Buffer.from('junk')])));
    expect(junk.ids).toEqual(ids(0, 1500));
    expect(junk.rejects[0].detail).toMatch(/frame 2 .*not a zstd frame/);
  });

  test('frames written with --no-check are accepted, with one warning for the file', async () => {
    const body = records(0, 800);
    const name = file('nocheck.jsonl.zst', Buffer.concat([zstd(body.slice(0, 5000), '--no-check'), zstd(body.slice(5000), '--no-check')]));
    const r = await text(name);
    expect(r.rejects).toEqual([]);
    expect(r.ids).toEqual(ids(0, 800));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/nocheck\.jsonl\.zst: 2 zstd frame\(s\) have no checksum \(written with --no-check\)/);
    expect((await text(file('check.jsonl.zst', zstd(body)))).warnings).toEqual([]);
  });

  test('a frame asking for a window over 128 MiB is refused before anything is allocated', async () => {
    // magic, descriptor (no size, no checksum), window 2^28, one empty last raw block
    const r = await text(file('window.jsonl.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 18 << 3, 0x01, 0x00, 0x00])));
    expect(r.rejects.map((x) => x.reason)).toEqual(['file.zstd_corrupt']);
    expect(r.rejects[0].detail).toMatch(/needs a 256 MiB window, over the 128 MiB limit/);
  });
});

describe('corrupt gzip', () => {
  test('a flipped data byte, a bad CRC, a bad length or a truncation: rejected, nothing emitted', async () => {
    const body = records(0, 1500);
    const gz = gzipSync(body);
    // Stored (level 0) deflate: a flipped digit decodes to valid JSON; only the CRC at the end tells.
    const stored = gzipSync(body, { level: 0 });
    const digit = stored.indexOf('"r7"') + 2;
    const cases: [string, Buffer, RegExp][] = [
      ['stored-flip', flip(stored, digit, 0x01), /CRC-32 mismatch/],
      ['data-flip', flip(gz, gz.length >> 1, 0x08), /gzip: /],
      ['crc', flip(gz, gz.length - 6, 0x01), /CRC-32 mismatch/],
      ['length', flip(gz, gz.length - 2, 0x01), /length mismatch/],
      ['trunc', gz.subarray(0, gz.length - 3), /truncated/],
      ['trunc-mid', gz.subarray(0, gz.length >> 1), /truncated/],
    ];
    for (const [tag, bytes, why] of cases) {
      const r = await text(file(`${tag}.jsonl.gz`, bytes));
      expect(r.docs, tag).toEqual([]);
      expect(r.rejects.map((x) => x.reason), tag).toEqual(['file.gzip_corrupt']);
      expect(r.rejects[0].detail, tag).toMatch(why);
      expect(r.rejects[0].detail, tag).toMatch(/none of the file is used/);
    }
  });
});

describe('end to end', () => {
  test('a run over a good file and a corrupt .zst: the shards hold every good record and none of the corrupt region', async () => {
    const good = records(0, 200);
    const body = records(1000, 3000);
    const cut = body.indexOf('\n', body.length >> 1) + 1;
    const second = zstd(body.slice(cut));
    file('e2e-good.jsonl', good);
    file('e2e-nocheck.jsonl.zst', zstd(records(5000, 5050), '--no-check'));
    file('e2e-bad.jsonl.zst', Buffer.concat([zstd(body.slice(0, cut)), flip(second, second.length >> 1, 0x01)]));
    const firstIds = body.slice(0, cut).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    const cfg = join(dir, 'e2e.yaml');
    writeFileSync(cfg, [
      'sources:',
      '  - {name: text, kind: text, paths: ["e2e-good.jsonl", "e2e-bad.jsonl.zst", "e2e-nocheck.jsonl.zst"], idField: id}',
      'output: {shardMaxRows: 64, formats: [parquet]}',
      'pack: {maxTokens: 4096}',
    ].join('\n') + '\n');
    const warnings: string[] = [];
    const res = await runPipeline(cfg, { out: join(dir, 'e2e-out'), log: { ...silentLogger, warn: (m) => warnings.push(m) }, progress: false });
    const parquet = res.index.shards.map((s) => join(res.outDir, s.files.find((f) => f.format === 'parquet')!.path));
    const rows = await duck(`SELECT DISTINCT regexp_replace(id, '#\\d+$', '') AS id FROM (SELECT unnest(sample_ids) AS id FROM read_parquet([${parquet.map(lit).join(', ')}]))`);
    const got = new Set(rows.map((r) => String(r.id)));
    expect([...got].sort()).toEqual([...ids(0, 200), ...firstIds, ...ids(5000, 5050)].sort());
    expect(warnings.filter((w) => /no checksum/.test(w))).toEqual([expect.stringMatching(/^source "text": .*e2e-nocheck\.jsonl\.zst: 1 zstd frame\(s\) have no checksum/)]);
    expect(firstIds.length).toBeLessThan(2000);
    const rejects = (await import('node:fs')).readFileSync(join(res.outDir, 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RejectRecord);
    expect(rejects.map((r) => [r.file, r.reason])).toEqual([['e2e-bad.jsonl.zst', 'file.zstd_corrupt']]);
  }, 60_000);
});
