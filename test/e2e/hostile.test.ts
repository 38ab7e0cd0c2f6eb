/**
 * Hostile input, every source at once: each bad record becomes a reject with its reason, file and place,
 * the good records still make it into valid shards, and the run survives. A disk that fills up stops the run
 * with a clear message and a resumable state, never a partial shard under a final name.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { writeTar, pngBomb } from '../helpers/media.js';
import { cli } from '../helpers/cli.js';
import { duck, lit } from '../helpers/duckdb.js';

const dir = tempDir();
const photo = readFileSync('sample-data/images/board.jpg');

beforeAll(async () => {
  const d = (p: string) => join(dir, 'data', p);
  mkdirSync(d('media'), { recursive: true });
  const good = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ text: `A perfectly good document number ${i}.` })).join('\n') + '\n';
  writeFileSync(d('good.jsonl'), good(30));
  writeFileSync(d('many.jsonl'), good(5000));
  const gz = gzipSync(good(400));
  writeFileSync(d('corrupt.jsonl.gz'), Buffer.concat([gz.subarray(0, 300), Buffer.alloc(200, 7)]));
  writeFileSync(d('trunc.jsonl.zst'), execFileSync('zstd', ['-q', '-c'], { input: good(300) }).subarray(0, 100));
  writeFileSync(d('utf8.jsonl'), Buffer.concat([Buffer.from('{"text": "ok"}\n{"text": "bad '), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]));
  writeFileSync(d('huge.txt'), Buffer.alloc(100 * 1024 * 1024, 'a')); // a 100 MB single document
  await duck(`COPY (SELECT 'row ' || i AS text FROM range(50) t(i)) TO ${lit(d('full.parquet'))} (FORMAT parquet)`);
  writeFileSync(d('trunc.parquet'), readFileSync(d('full.parquet')).subarray(0, 200));
  await duck(`COPY (SELECT * FROM (VALUES (['http://x/1.jpg', NULL, NULL]::VARCHAR[], [NULL, 'two', 'three']::VARCHAR[]), ([NULL, 'http://x/1.jpg']::VARCHAR[], ['only text']::VARCHAR[])) t(images, texts)) TO ${lit(d('obelics.parquet'))} (FORMAT parquet)`);
  await writeTar(d('pairs.tar'), [
    ['000.jpg', photo], ['000.txt', 'a good pair'],
    ['001.jpg', Buffer.alloc(0)], ['001.txt', 'zero-byte image'],
    ['002.jpg', photo.subarray(0, 4000)], ['002.txt', 'truncated image'],
    ['003.jpg', Buffer.from('<html>this is not an image</html>')], ['003.txt', 'not an image'],
    ['004.png', pngBomb(20_000, 20_000)], ['004.txt', 'a decompression bomb'],
    ['005.jpg', photo],
  ]);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', d('audio-only.mp4')]);
  writeFileSync(d('audio-only.txt'), 'a clip with no video stream');
  writeFileSync(join(dir, 'hostile.yaml'), [
    'sources:',
    '  - {name: text, kind: text, paths: ["data/good.jsonl", "data/corrupt.jsonl.gz", "data/trunc.jsonl.zst", "data/utf8.jsonl", "data/huge.txt", "data/trunc.parquet", "data/full.parquet", "data/missing.jsonl"]}',
    '  - {name: pairs, kind: caption, paths: ["data/pairs.tar"]}',
    '  - {name: web, kind: interleaved, paths: ["data/obelics.parquet"], imageStore: {type: dir, path: data/media}}',
    '  - {name: clips, kind: video, paths: ["data/audio-only.mp4"]}',
    'output: {shardMaxRows: 2}',
    'pack: {maxTokens: 2048}',
    'validate: {ratioTolerance: 1, maxRejectFraction: 1}',
  ].join('\n') + '\n');
});

describe('hostile input', () => {
  test('every bad record is a reject with its reason and place; the good ones are in valid shards', () => {
    const out = join(dir, 'out');
    const r = cli(['run', join(dir, 'hostile.yaml'), '--out', out, '--quiet'], { timeoutMs: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; location: string; reason: string });
    const has = (file: string, reason: string) => rejects.some((x) => x.file.endsWith(file) && x.reason === reason);
    const expected: [string, string][] = [
      ['missing.jsonl', 'file.missing'],
      ['corrupt.jsonl.gz', 'file.gzip_corrupt'],
      ['trunc.jsonl.zst', 'file.zstd_corrupt'],
      ['utf8.jsonl', 'text.invalid_utf8'],
      ['huge.txt', 'text.too_large'],
      ['trunc.parquet', 'parquet.unreadable'],
      ['pairs.tar', 'image.empty'],
      ['pairs.tar', 'image.decode'],
      ['pairs.tar', 'image.too_many_pixels'],
      ['pairs.tar', 'caption.missing'],
      ['obelics.parquet', 'obelics.length_mismatch'],
      ['audio-only.mp4', 'video.no_stream'],
    ];
    for (const [file, reason] of expected) expect(has(file, reason), `${file}: ${reason}`).toBe(true);
    expect(rejects.some((x) => x.file.endsWith('pairs.tar') && x.location === 'member 002.jpg' && x.reason === 'image.truncated')).toBe(true);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(stats.share.text.samples).toBeGreaterThanOrEqual(30 + 1 + 50);
    expect(stats.share.pairs.samples).toBe(1);
    expect(cli(['validate', out]).status).toBe(0);
  }, 240_000);

  test('a disk that fills up stops the run with a clear message and a resumable state', () => {
    const out = join(dir, 'full-disk');
    mkdirSync(out, { recursive: true });
    // A real 400 KB tmpfs where the machine lets us mount one; otherwise a write error made by hand.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=120k', 'tmpfs', out]).status === 0;
    try {
      if (!mounted) mkdirSync(join(out, 'part-00001.parquet.tmp'), { recursive: true });
      const cfg = join(dir, 'disk.yaml');
      writeFileSync(cfg, 'sources:\n  - {name: t, kind: text, paths: ["data/many.jsonl"]}\noutput: {shardMaxRows: 4, formats: [parquet, arrow]}\npack: {maxTokens: 256}\n');
      const r = cli(['run', cfg, '--out', out, '--quiet']);
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/could not write shard .*part-\d+\.(parquet|arrow)/);
      if (mounted) expect(r.stderr).toMatch(/ENOSPC|no space/i);
      const names = readdirSync(out);
      expect(names.filter((n) => n.endsWith('.tmp') && !existsSync(join(out, n, '.')))).toEqual([]);
      // Every shard under a final name is whole: it is in the journal with its checksum.
      const journal = existsSync(join(out, 'progress.jsonl')) ? readFileSync(join(out, 'progress.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
      const journaled = new Set(journal.flatMap((s: { files: { path: string }[] }) => s.files.map((f) => f.path)));
      for (const n of names.filter((x) => /^part-\d+\.(parquet|arrow)$/.test(x))) expect(journaled.has(n), n).toBe(true);
      // The message says what was kept and what to do; index.json marks the run incomplete when the disk allows.
      expect(r.stderr).toMatch(/\d+ finished shard\(s\) are kept in .*; (index\.json marks the run incomplete|index\.json could not be written either)/);
      expect(r.stderr).toMatch(/run the same command with --resume/);
      if (existsSync(join(out, 'index.json'))) {
        const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
        expect(index.complete).toBe(false);
        expect(index.error).toMatch(/could not write shard/);
        expect(index.shards).toHaveLength(journal.length);
      } else expect(r.stderr).toMatch(/index\.json could not be written either/);
      // Space again: --resume finishes the run, and what it wrote validates.
      if (mounted) expect(spawnSync('mount', ['-o', 'remount,size=64m', out]).status).toBe(0);
      else rmSync(join(out, 'part-00001.parquet.tmp'), { recursive: true, force: true });
      const resumed = cli(['run', cfg, '--out', out, '--quiet', '--resume']);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).complete).toBe(true);
      expect(cli(['validate', out]).status).toBe(0);
    } finally {
      if (mounted) spawnSync('umount', [out]);
    }
  });
});
