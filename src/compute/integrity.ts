/**
 * Does an image file end where its own structure says it ends? Read from the bytes alone, so the reject
 * reason of a bad image is a function of its bytes: libvips' error text cannot be trusted for that — its error
 * buffer is one per process, so when images fail on several threads at once one failure's message can carry
 * another's lines and the other comes back empty (sharp: "Unknown error").
 *
 * - `truncated`: the data stops inside a structure — a JPEG with no EOI marker (libvips and PIL both refuse
 *   it), a PNG chunk, a GIF block or an ISO-BMFF (AVIF/HEIF) box cut short, a WebP shorter than its RIFF size.
 * - `unterminated`: every structure is whole but the end marker is missing (PNG without IEND, GIF without its
 *   trailer, AVIF/HEIF without its meta or mdat box). Decoders still read such a file when its image data is all there (libvips and PIL do), so this
 *   counts as truncation only when decoding fails.
 * - `complete`; `unknown` for formats not checked (TIFF, …) or a structure that is not what it should be
 *   (damaged, not truncated): there a decode failure is `image.decode`.
 */
import { MediaError } from './errors.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'heif' | 'other';
export interface ImageEnd { format: ImageFormat; state: 'complete' | 'truncated' | 'unterminated' | 'unknown'; detail: string }

const view = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const ascii = (b: Buffer, at: number, n: number) => b.toString('latin1', at, at + n);

export function imageFormat(b: Uint8Array): ImageFormat {
  const v = view(b);
  if (v.length >= 3 && v[0] === 0xff && v[1] === 0xd8 && v[2] === 0xff) return 'jpeg';
  if (v.length >= 8 && v.readUInt32BE(0) === 0x89504e47 && v.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (v.length >= 12 && ascii(v, 0, 4) === 'RIFF' && ascii(v, 8, 4) === 'WEBP') return 'webp';
  if (v.length >= 6 && /^GIF8[79]a$/.test(ascii(v, 0, 6))) return 'gif';
  if (v.length >= 8 && ascii(v, 4, 4) === 'ftyp') return 'heif';
  return 'other';
}

export function checkImageEnd(bytes: Uint8Array): ImageEnd {
  const b = view(bytes);
  const format = imageFormat(b);
  const r = (state: ImageEnd['state'], detail: string): ImageEnd => ({ format, state, detail });
  switch (format) {
    case 'jpeg': return r(...jpegEnd(b));
    case 'png': return r(...pngEnd(b));
    case 'webp': return r(...webpEnd(b));
    case 'gif': return r(...gifEnd(b));
    case 'heif': return r(...bmffEnd(b));
    default: return r('unknown', 'format not checked');
  }
}

type End = [ImageEnd['state'], string];

/**
 * Walk the marker segments; after each SOS skip the entropy-coded data (FF00 stuffing, RSTn) to the next marker.
 * Over a plain Uint8Array: every image's bytes pass through here, and with Buffer's JavaScript `indexOf` and
 * `readUInt16BE` inlined, V8's optimising compiler spent ≈ 40 ms per thread on this function.
 */
function jpegEnd(buf: Buffer): End {
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = b.length;
  let i = 2;
  let scans = 0;
  const cut = (where: string): End => ['truncated', `JPEG of ${n} bytes ends ${where}, with no EOI marker`];
  for (;;) {
    if (b[i] !== 0xff) {
      // Stray bytes before a marker: libjpeg skips them with a warning; so do we.
      i = b.indexOf(0xff, i);
      if (i < 0) return cut(scans ? `after scan ${scans}` : 'before its first scan');
    }
    while (i < n && b[i] === 0xff) i++;
    if (i >= n) return cut(scans ? `after scan ${scans}` : 'before its first scan');
    const m = b[i++];
    if (m === 0xd9) return ['complete', `JPEG EOI at byte ${i - 2}`];
    if (m === 0x00 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    const name = markerName(m);
    if (i + 2 > n) return cut(`inside a ${name} segment header`);
    const len = (b[i] << 8) | b[i + 1];
    if (len < 2) return ['unknown', `JPEG ${name} segment of length ${len} at byte ${i - 2}`];
    if (i + len > n) return cut(`inside a ${name} segment (${len} bytes from byte ${i - 2})`);
    i += len;
    if (m !== 0xda) continue;
    scans++;
    i = entropyEnd(b, i);
    if (i < 0) return cut(`inside the entropy-coded data of scan ${scans}`);
  }
}

/**
 * Where the entropy-coded data from byte i ends: the FF of the next marker, or -1 when the data runs to the
 * end. A marker is FF then (after fill FFs) a byte ≥ C0 that is not RSTn. FF00 is a stuffed FF; FF then < C0
 * is data too (JPEG-LS stuffs a zero bit, not a zero byte). The hot loop on its own: V8 then optimises this
 * small function, not the whole walk around it.
 */
function entropyEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  for (;;) {
    const j = b.indexOf(0xff, i);
    if (j < 0) return -1;
    let k = j + 1;
    while (k < n && b[k] === 0xff) k++;
    if (k >= n) return -1;
    if (b[k] >= 0xc0 && !(b[k] >= 0xd0 && b[k] <= 0xd7)) return j;
    i = k + 1;
  }
}

function markerName(m: number): string {
  const named: Record<number, string> = { 0xc4: 'DHT', 0xcc: 'DAC', 0xda: 'SOS', 0xdb: 'DQT', 0xdd: 'DRI', 0xfe: 'COM' };
  if (named[m]) return named[m];
  if (m >= 0xe0 && m <= 0xef) return `APP${m - 0xe0}`;
  if (m >= 0xc0 && m <= 0xcf) return `SOF${m - 0xc0}`;
  return `FF${m.toString(16).toUpperCase()}`;
}

/** Walk the chunks (length, type, data, CRC) to IEND. */
function pngEnd(b: Buffer): End {
  const n = b.length;
  let i = 8;
  let idat = 0;
  while (i < n) {
    if (i + 8 > n) return ['truncated', `PNG of ${n} bytes ends inside a chunk header at byte ${i}`];
    const len = b.readUInt32BE(i);
    const type = ascii(b, i + 4, 4);
    if (len > 0x7fffffff || !/^[A-Za-z]{4}$/.test(type)) return ['unknown', `PNG chunk at byte ${i} is not a chunk`];
    if (type === 'IDAT') idat++;
    if (i + 12 + len > n) return ['truncated', `PNG of ${n} bytes ends inside chunk ${type}${type === 'IDAT' ? ` #${idat}` : ''} (${len} data bytes from byte ${i})`];
    if (type === 'IEND') return ['complete', `PNG IEND at byte ${i}`];
    i += 12 + len;
  }
  return ['unterminated', `PNG of ${n} bytes ends after ${idat} IDAT chunk${idat === 1 ? '' : 's'} with no IEND chunk`];
}

function webpEnd(b: Buffer): End {
  const want = 8 + b.readUInt32LE(4);
  return b.length < want ? ['truncated', `WebP of ${b.length} bytes, its RIFF header says ${want}`] : ['complete', `WebP of ${want} bytes`];
}

/** Walk the GIF blocks (extensions and images, each a run of sub-blocks) to the trailer. */
function gifEnd(b: Buffer): End {
  const n = b.length;
  const cut = (where: string): End => ['truncated', `GIF of ${n} bytes ends ${where}`];
  if (n < 13) return cut('inside its screen descriptor');
  let i = 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0);
  let frames = 0;
  const subBlocks = (): boolean => {
    for (;;) {
      if (i >= n) return false;
      const s = b[i++];
      if (s === 0) return true;
      i += s;
    }
  };
  while (i < n) {
    const t = b[i++];
    if (t === 0x3b) return ['complete', `GIF trailer at byte ${i - 1}`];
    if (t === 0x21) {
      i++; // label
      if (!subBlocks()) return cut('inside an extension block');
    } else if (t === 0x2c) {
      frames++;
      if (i + 9 > n) return cut(`inside the descriptor of frame ${frames}`);
      const packed = b[i + 8];
      i += 9 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0) + 1; // descriptor, local colour table, LZW code size
      if (!subBlocks()) return cut(`inside the image data of frame ${frames}`);
    } else {
      return ['unknown', `GIF block type 0x${t.toString(16)} at byte ${i - 1}`];
    }
  }
  return i > n ? cut('inside its colour table') : ['unterminated', `GIF of ${n} bytes ends after ${frames} frame${frames === 1 ? '' : 's'} with no trailer`];
}

/**
 * Walk the top-level ISO-BMFF boxes: each must fit in the file. A file that ends between boxes before it has
 * both its `meta` (the item locations) and its `mdat` (the coded data) is unterminated.
 */
function bmffEnd(b: Buffer): End {
  const n = b.length;
  const seen = new Set<string>();
  let i = 0;
  while (i < n) {
    if (i + 8 > n) return ['truncated', `AVIF/HEIF of ${n} bytes ends inside a box header at byte ${i}`];
    let size = b.readUInt32BE(i);
    const type = ascii(b, i + 4, 4);
    seen.add(type);
    if (size === 0) return ['complete', `box ${type} runs to the end of the file`];
    if (size === 1) {
      if (i + 16 > n) return ['truncated', `AVIF/HEIF of ${n} bytes ends inside a box header at byte ${i}`];
      size = Number(b.readBigUInt64BE(i + 8));
    }
    if (size < 8) return ['unknown', `box ${type} of size ${size} at byte ${i}`];
    if (i + size > n) return ['truncated', `AVIF/HEIF of ${n} bytes ends inside box ${type} (${size} bytes from byte ${i})`];
    i += size;
  }
  const missing = ['meta', 'mdat'].filter((t) => !seen.has(t));
  return missing.length ? ['unterminated', `AVIF/HEIF of ${n} bytes ends with no ${missing.join(' or ')} box`] : ['complete', `AVIF/HEIF of ${n} bytes`];
}

/** libvips' loader names, to drop from an error text the lines another image's failure left there. */
const LOADERS: Record<Exclude<ImageFormat, 'other'>, RegExp> = {
  jpeg: /^(VipsJpeg|jpegload|VipsForeignLoadJpeg)/i,
  png: /^(vipspng|pngload|spngload|VipsForeignLoadPng|VipsForeignLoadSpng)|libpng/i,
  webp: /^(webp|VipsForeignLoadWebp)/i,
  gif: /^(gifload|VipsForeignLoadNsgif|VipsForeignLoadGif)/i,
  heif: /^(heif|source: bad seek|VipsForeignLoadHeif)/i,
};

/**
 * A libvips error text made readable: repeated lines once, lines another image's loader wrote dropped.
 * Best effort only — the text can still belong to another image, or be empty; never classify by it.
 */
export function cleanVipsMessage(msg: string, format: ImageFormat): string {
  const prefix = /^Input buffer has corrupt header:\s*/.exec(msg)?.[0] ?? '';
  const lines = [...new Set(msg.slice(prefix.length).split('\n').map((l) => l.trim()).filter((l) => l && l !== 'Unknown error'))];
  const own = format === 'other' ? lines : lines.filter((l) => !Object.entries(LOADERS).some(([f, re]) => f !== format && re.test(l) && !LOADERS[format].test(l)));
  const text = own.join('; ') || 'libvips gave no message';
  return prefix ? `${prefix.trim()} ${text}` : text;
}

/** Reject a file whose data stops inside a structure before any decoder sees it. */
export function assertNotTruncated(end: ImageEnd): void {
  if (end.state === 'truncated') throw new MediaError('image.truncated', `truncated image: ${end.detail}`);
}

/**
 * The reject for an image the decoder refused (header or pixels). The reason follows from the bytes only:
 * `image.truncated` when the file ends before its end marker, `image.decode` otherwise; the decoder's text
 * goes in the detail.
 */
export function decodeFailure(end: ImageEnd, stage: string, e: unknown): MediaError {
  const said = cleanVipsMessage(e instanceof Error ? e.message : String(e), end.format);
  if (end.state === 'truncated' || end.state === 'unterminated') return new MediaError('image.truncated', `truncated image: ${end.detail} (${stage}: ${said})`, { cause: e });
  return new MediaError('image.decode', `${stage}: ${said}`, { cause: e });
}
