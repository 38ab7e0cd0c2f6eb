/**
 * Truncated and damaged images: the reject reason is a function of the bytes only. libvips keeps one error
 * buffer per process, so under concurrency a failing decode's message can be empty ("Unknown error") or
 * carry another image's lines; the reason must not follow it (src/compute/integrity.ts).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cpuBackend } from '../../src/compute/cpu.js';
import { checkImageEnd, cleanVipsMessage, decodeFailure } from '../../src/compute/integrity.js';
import { MediaError } from '../../src/media/errors.js';
import { mediaStage } from '../../src/media/stage.js';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import type { Document } from '../../src/core/model.js';
import { tempDir } from '../helpers/tmp.js';

const photo = readFileSync('sample-data/images/board.jpg');
const backend = cpuBackend();
// One tile per image keeps the many decodes below cheap: the decode is what is under test.
const opts = { minTiles: 1, maxTiles: 1, tileSize: 448, encoding: 'jpeg' as const, quality: 80, maxBytes: 50e6, maxPixels: 100e6 };
const reasonOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof MediaError ? e.reason : `not a MediaError: ${e}`));
const cut = (b: Buffer, n: number) => Buffer.from(b.subarray(0, n));

/** PNG chunks: [type, offset, data length]. */
function chunks(png: Buffer): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (let i = 8; i < png.length; i += 12 + png.readUInt32BE(i)) out.push([png.toString('latin1', i + 4, i + 8), i, png.readUInt32BE(i)]);
  return out;
}

const f: Record<string, Buffer> = {};
beforeAll(async () => {
  f.jpeg = photo; // progressive, 10 scans
  f.baseline = await sharp(photo).jpeg().toBuffer();
  f.exif = await sharp(photo).resize(320, 240).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  f.png = await sharp(photo).resize(320, 240).png().toBuffer();
  f.webp = await sharp(photo).resize(320, 240).webp().toBuffer();
  f.gif = await sharp(photo).resize(80, 60).gif().toBuffer();
  f.avif = await sharp(photo).resize(80, 60).avif({ effort: 0 }).toBuffer();
  f.tiff = await sharp(photo).resize(80, 60).tiff().toBuffer();
  const frames = await Promise.all([[255, 0, 0], [0, 0, 255], [0, 255, 0]].map((c) => sharp({ create: { width: 32, height: 32, channels: 3, background: { r: c[0], g: c[1], b: c[2] } } }).raw().toBuffer()));
  f.animated = await sharp(Buffer.concat(frames), { raw: { width: 32, height: 96, channels: 3, pageHeight: 32 } }).gif().toBuffer();
});

describe('where an image file ends (structural check)', () => {
  test('whole files of every checked format are complete; TIFF is not checked', () => {
    for (const k of ['jpeg', 'baseline', 'exif', 'png', 'webp', 'gif', 'animated', 'avif']) expect([k, checkImageEnd(f[k]).state]).toEqual([k, 'complete']);
    expect(checkImageEnd(f.tiff).state).toBe('unknown');
    expect(checkImageEnd(Buffer.from('<html>')).state).toBe('unknown');
    // Bytes after the end marker do not matter.
    expect(checkImageEnd(Buffer.concat([f.jpeg, Buffer.from('trailing junk')])).state).toBe('complete');
  });

  test('every cut of a JPEG or WebP is truncated; a PNG, GIF or AVIF cut at a chunk / block / box boundary is unterminated', () => {
    for (const k of ['gif', 'animated', 'avif']) {
      const b = f[k];
      for (let n = 16; n < b.length; n += 7) expect([k, n, ['truncated', 'unterminated'].includes(checkImageEnd(b.subarray(0, n)).state)]).toEqual([k, n, true]);
      expect([k, checkImageEnd(b.subarray(0, b.length - 2)).state]).toEqual([k, 'truncated']);
    }
    for (const k of ['gif', 'animated']) expect([k, checkImageEnd(f[k].subarray(0, f[k].length - 1)).state]).toEqual([k, 'unterminated']);
    expect(checkImageEnd(f.avif.subarray(0, f.avif.readUInt32BE(0))).state).toBe('unterminated'); // ftyp only
    for (const k of ['jpeg', 'baseline', 'exif', 'webp']) {
      const b = f[k];
      const step = Math.max(1, Math.floor(b.length / 400));
      // From the first length that shows the format (a shorter prefix is not an image: image.decode).
      for (let n = 16; n < b.length; n += step) expect([k, n, checkImageEnd(b.subarray(0, n)).state]).toEqual([k, n, 'truncated']);
      expect([k, checkImageEnd(b.subarray(0, b.length - 1)).state]).toEqual([k, 'truncated']);
    }
    const png = f.png;
    const starts = new Set(chunks(png).map((c) => c[1]));
    const iend = chunks(png).at(-1)![1];
    for (let n = 8; n < iend; n += 97) expect([n, checkImageEnd(png.subarray(0, n)).state]).toEqual([n, starts.has(n) ? 'unterminated' : 'truncated']);
    for (const n of starts) if (n > 8) expect(checkImageEnd(png.subarray(0, n)).state).toBe('unterminated');
    expect(checkImageEnd(png.subarray(0, iend + 5)).state).toBe('truncated');
  });

  test('the detail says where the data stops', () => {
    expect(checkImageEnd(f.jpeg.subarray(0, f.jpeg.length - 2)).detail).toMatch(/JPEG of \d+ bytes ends inside the entropy-coded data of scan 10, with no EOI marker/);
    expect(checkImageEnd(f.baseline.subarray(0, 300)).detail).toMatch(/JPEG of 300 bytes ends inside a DHT segment \(27 bytes from byte 276\)/);
    expect(checkImageEnd(f.png.subarray(0, 20_000)).detail).toMatch(/PNG of 20000 bytes ends inside chunk IDAT #3/);
    expect(checkImageEnd(f.webp.subarray(0, 100)).detail).toMatch(/WebP of 100 bytes, its RIFF header says \d+/);
  });
});

describe('decode failures: the reason never depends on the message', () => {
  test('an empty message, another image\'s lines, or the real one: same reason, readable detail', () => {
    const whole = checkImageEnd(f.png);
    const unterminated = checkImageEnd(f.png.subarray(0, chunks(f.png)[5][1]));
    expect(unterminated.state).toBe('unterminated');
    const messages = ['Unknown error', '', 'vipspng: libpng read error', 'VipsJpeg: premature end of JPEG image\nvipspng: libpng read error\nvipspng: libpng read error'];
    for (const m of messages) {
      expect(decodeFailure(whole, 'decoding failed', new Error(m)).reason).toBe('image.decode');
      expect(decodeFailure(unterminated, 'decoding failed', new Error(m)).reason).toBe('image.truncated');
    }
    expect(decodeFailure(whole, 'decoding failed', new Error(messages[3])).message).toBe('decoding failed: vipspng: libpng read error');
    expect(decodeFailure(whole, 'decoding failed', new Error('Unknown error')).message).toBe('decoding failed: libvips gave no message');
    expect(decodeFailure(unterminated, 'decoding failed', new Error('')).message).toMatch(/^truncated image: PNG of \d+ bytes ends after 3 IDAT chunks with no IEND chunk \(decoding failed: libvips gave no message\)$/);
    expect(cleanVipsMessage('Input buffer has corrupt header: webp: unable to parse image\nVipsJpeg: premature end of JPEG image', 'webp')).toBe('Input buffer has corrupt header: webp: unable to parse image');
  });
});

describe('the same bytes, the same reason, under concurrency', () => {
  /** name → [bytes, the one expected outcome]. */
  function cases(): Record<string, [Buffer, string]> {
    const png = f.png;
    const pc = chunks(png);
    const badCrc = Buffer.from(png);
    badCrc[pc[3][1] + 8 + 50] ^= 0xff; // a byte inside an IDAT: its CRC no longer matches
    const badGif = Buffer.from(f.gif);
    badGif[badGif.length - 1] = 0x99; // the trailer replaced by an unknown block type
    const badJpeg = Buffer.from(f.baseline);
    const sof = badJpeg.indexOf(Buffer.from([0xff, 0xc0]));
    badJpeg[sof + 4] = 7; // sample precision 7: no decoder takes it
    return {
      'jpeg header only': [cut(f.jpeg, 600), 'image.truncated'],
      'jpeg 5%': [cut(f.jpeg, Math.floor(f.jpeg.length * 0.05)), 'image.truncated'],
      'jpeg 1/3': [cut(f.jpeg, Math.floor(f.jpeg.length / 3)), 'image.truncated'],
      'jpeg 90%': [cut(f.jpeg, Math.floor(f.jpeg.length * 0.9)), 'image.truncated'],
      'jpeg without EOI': [cut(f.jpeg, f.jpeg.length - 2), 'image.truncated'],
      'baseline jpeg 1/2': [cut(f.baseline, f.baseline.length >> 1), 'image.truncated'],
      'jpeg of precision 7': [badJpeg, 'image.decode'],
      'png inside IDAT': [cut(png, 20_000), 'image.truncated'],
      'png 99%': [cut(png, Math.floor(png.length * 0.99)), 'image.truncated'],
      'png at a chunk boundary (decoder fails)': [cut(png, pc[8][1]), 'image.truncated'],
      'png without IEND (decodes whole)': [cut(png, pc.at(-1)![1]), 'ok'],
      'png with a bad CRC': [badCrc, 'image.decode'],
      'webp 1/2': [cut(f.webp, f.webp.length >> 1), 'image.truncated'],
      'gif 1/2': [cut(f.gif, f.gif.length >> 1), 'image.truncated'],
      'gif with a bad last block (libvips reads it)': [badGif, 'ok'],
      'avif 1/2': [cut(f.avif, f.avif.length >> 1), 'image.truncated'],
      'tiff 1/2': [cut(f.tiff, f.tiff.length >> 1), 'image.decode'],
      'not an image': [Buffer.from('<html>not a picture</html>'), 'image.decode'],
      'good jpeg': [f.jpeg, 'ok'],
      'good png': [png, 'ok'],
      'good webp': [f.webp, 'ok'],
    };
  }

  test('50 rounds of every case at once through the CPU backend: one outcome per input, every time', async () => {
    const all = Object.entries(cases());
    const seen = new Map<string, Set<string>>(all.map(([k]) => [k, new Set()]));
    for (let round = 0; round < 50; round++) {
      const got = await Promise.all(all.map(([, [b]]) => reasonOf(backend.tileImage(b, opts))));
      all.forEach(([k], i) => seen.get(k)!.add(got[i]));
    }
    expect(Object.fromEntries([...seen].map(([k, s]) => [k, [...s]]))).toEqual(Object.fromEntries(all.map(([k, [, want]]) => [k, [want]])));
  });

  test('through the media stage: every document rejected with its input\'s reason', async () => {
    const all = Object.entries(cases());
    const stats = new Stats();
    const rejects = new Rejects(stats, undefined, 0, true);
    const docs: Document[] = [];
    for (let round = 0; round < 5; round++) for (const [k] of all) docs.push({ id: `${round}/${k}`, source: 'web', kind: 'interleaved', provenance: { source: 'web', file: 'f', location: `${round}/${k}` }, segments: [{ type: 'text', text: k }, { type: 'image', image: { kind: 'url', url: k } }] });
    const bytes = new Map(all.map(([k, [b]]) => [k, b]));
    const store = { get: async (url: string) => bytes.get(url)! };
    const images = { ...opts, tileSize: 448 as const, multiImage: 'divide' as const };
    const src = async function* () { yield* docs; };
    let kept = 0;
    for await (const _ of mediaStage(src(), { compute: backend, images, packMaxTiles: 48, concurrency: 8, rejects, stats, policy: { onImageError: 'reject', maxImages: 16, tooMany: 'shrink', dedup: false, store }, seen: new Set() })) kept++;
    const got = new Map<string, Set<string>>();
    for (const r of rejects.records) {
      const k = String(r.location).split('/').slice(1).join('/');
      got.set(k, (got.get(k) ?? new Set()).add(r.reason));
    }
    const bad = all.filter(([, [, want]]) => want !== 'ok');
    expect(kept).toBe(5 * (all.length - bad.length));
    expect(rejects.records).toHaveLength(5 * bad.length);
    expect(Object.fromEntries([...got].map(([k, s]) => [k, [...s]]))).toEqual(Object.fromEntries(bad.map(([k, [, want]]) => [k, [want]])));
  });
});
