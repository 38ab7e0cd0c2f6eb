/**
 * Source fixtures for the conformance suite (test/sources/conformance.test.ts, test/e2e/sources.test.ts):
 * one per source kind and input format, each able to write the same cases — good records, an empty file,
 * one malformed record among good ones, a file cut in the middle — and to say what its reader gives for
 * them: the ids (as readers make them today) and the rejects (file, location, reason). Inputs are real
 * files: JSONL (plain, .gz, .zst), Parquet (hyparquet-writer, DuckDB for OBELICS lists), tar, CSV, text,
 * and sample clips.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { parquetWriteFile } from 'hyparquet-writer';
import type { SourceKind } from '../../src/core/model.js';
import { urlKey } from '../../src/media/image-store.js';
import { writeTar } from './media.js';
import { duck, lit } from './duckdb.js';

/** What a reader gives for an input: the paths to list, the ids of its documents, its rejects in order. */
export interface Expected {
  paths: string[];
  ids: string[];
  rejects: [file: string, location: string, reason: string][];
}

export interface SourceFixture {
  /** `kind/format`. */
  name: string;
  kind: SourceKind;
  /** Source config fields beyond name, kind and paths. */
  config?: Record<string, unknown>;
  /**
   * The part of a document's location that is the record's own. Known issue, kept as it is: a CSV record's
   * `(line N)` is the line the parser has reached, which depends on what follows the record.
   */
  ownLocation?: (location: string) => string;
  /** YAML fields a run needs besides `config` (an image store), given the fixture's folder under the config's. */
  runConfig?: (sub: string) => string;
  /** `n` good records. */
  good(dir: string, n: number): Promise<Expected>;
  /** A 0-byte input. */
  empty(dir: string): Promise<Expected>;
  /** `n` records, record `bad` (0-based) malformed. */
  malformed(dir: string, n: number, bad: number): Promise<Expected>;
  /** `n` good records, the file cut in the middle: the ids are those of the records wholly before the cut, or none. */
  truncated(dir: string, n: number): Promise<Expected>;
}

const caption = (i: number) => `Record ${i}: a small picture of a board, seen from ${['above', 'the left', 'the right'][i % 3]}.`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const zstd = (b: Buffer | string) => execFileSync('zstd', ['-q', '-c'], { input: b });
/** A real 64×48 PNG (its colour from `i`), made once. */
const pngs = new Map<number, Promise<Buffer>>();
const png = (i: number) => pngs.get(i) ?? pngs.set(i, makePng(i)).get(i)!;
const makePng = (i: number) => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (i * 40) % 256, g: 120, b: 200 } } }).png().toBuffer();
const CLIP = 'sample-data/video/leds.mp4';

/** Cut `bytes` in the middle of line `line` (1-based) of the uncompressed text. */
function cutInLine(text: string, line: number): string {
  const start = text.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
  const len = text.slice(start).indexOf('\n');
  return text.slice(0, start + Math.max(2, len >> 1));
}

/** JSONL formats: one object per line, ids `file:line`. */
function jsonl(f: {
  name: string; kind: SourceKind; file: string; config?: Record<string, unknown>; runConfig?: SourceFixture['runConfig'];
  record(i: number, dir: string): Promise<unknown> | unknown;
  compress?: 'gzip' | 'zstd';
  /** Where a corrupt compressed file is rejected. */
  corruptAt?: string;
}): SourceFixture {
  const pack = (s: string) => (f.compress === 'gzip' ? gzipSync(s) : f.compress === 'zstd' ? zstd(s) : Buffer.from(s));
  const body = async (dir: string, n: number, bad = -1) => {
    const lines = [];
    for (const i of range(n)) lines.push(i === bad ? '{"broken": ' : JSON.stringify(await f.record(i, dir)));
    return lines.join('\n') + '\n';
  };
  const ids = (n: number, skip = -1) => range(n).filter((i) => i !== skip).map((i) => `${f.file}:${i + 1}`);
  return {
    name: f.name, kind: f.kind, config: f.config, runConfig: f.runConfig,
    async good(dir, n) {
      writeFileSync(join(dir, f.file), pack(await body(dir, n)));
      return { paths: [f.file], ids: ids(n), rejects: [] };
    },
    async empty(dir) {
      writeFileSync(join(dir, f.file), pack(''));
      return { paths: [f.file], ids: [], rejects: [] };
    },
    async malformed(dir, n, bad) {
      writeFileSync(join(dir, f.file), pack(await body(dir, n, bad)));
      return { paths: [f.file], ids: ids(n, bad), rejects: [[f.file, `line ${bad + 1}`, 'json.malformed']] };
    },
    async truncated(dir, n) {
      const text = await body(dir, n);
      const line = Math.ceil(n / 2);
      if (!f.compress) {
        writeFileSync(join(dir, f.file), cutInLine(text, line));
        return { paths: [f.file], ids: ids(line - 1), rejects: [[f.file, `line ${line}`, 'json.malformed']] };
      }
      // Compressed: the damage is found before any line is used.
      const whole = pack(text);
      writeFileSync(join(dir, f.file), whole.subarray(0, whole.length >> 1));
      return { paths: [f.file], ids: [], rejects: [[f.file, f.corruptAt ?? 'file', `file.${f.compress}_corrupt`]] };
    },
  };
}

/** Parquet formats: one record per row, ids `file:rowN`; an empty or cut file has no footer. */
function parquet(f: {
  name: string; kind: SourceKind; file: string; config?: Record<string, unknown>; runConfig?: SourceFixture['runConfig'];
  /** Write rows 0..n-1, row `bad` malformed. */
  write(path: string, n: number, bad: number): Promise<void>;
  /** The reject of the malformed row. */
  badReason: string;
}): SourceFixture {
  const ids = (n: number, skip = -1) => range(n).filter((i) => i !== skip).map((i) => `${f.file}:row${i}`);
  const unreadable: Expected['rejects'] = [[f.file, 'file', 'parquet.unreadable']];
  return {
    name: f.name, kind: f.kind, config: f.config, runConfig: f.runConfig,
    async good(dir, n) {
      await f.write(join(dir, f.file), n, -1);
      return { paths: [f.file], ids: ids(n), rejects: [] };
    },
    async empty(dir) {
      writeFileSync(join(dir, f.file), '');
      return { paths: [f.file], ids: [], rejects: unreadable };
    },
    async malformed(dir, n, bad) {
      await f.write(join(dir, f.file), n, bad);
      return { paths: [f.file], ids: ids(n, bad), rejects: [[f.file, `row ${bad}`, f.badReason]] };
    },
    async truncated(dir, n) {
      await f.write(join(dir, f.file), n, -1);
      const whole = readFileSync(join(dir, f.file));
      writeFileSync(join(dir, f.file), whole.subarray(0, whole.length >> 1));
      return { paths: [f.file], ids: [], rejects: unreadable };
    },
  };
}

/** OBELICS rows: [image URL, text] pairs in lists, written with DuckDB; the images in a dir store by SHA-1. */
async function writeObelics(path: string, n: number, bad: number): Promise<void> {
  const images = join(path, '..', 'images');
  mkdirSync(images, { recursive: true });
  const rows = [];
  for (const i of range(n)) {
    const url = `https://example.org/${i}.png`;
    writeFileSync(join(images, `${urlKey(url)}.png`), await png(i));
    rows.push(i === bad ? `(${i}, [${lit(url)}], [${lit(caption(i))}, NULL])` : `(${i}, [NULL, ${lit(url)}], [${lit(caption(i))}, NULL])`);
  }
  await duck(`COPY (SELECT images, texts FROM (VALUES ${rows.join(', ')}) t(i, images, texts) ORDER BY i) TO ${lit(path)} (FORMAT parquet)`);
}

const txt: SourceFixture = {
  name: 'text/txt', kind: 'text',
  async good(dir, n) {
    for (const i of range(n)) writeFileSync(join(dir, `doc-${i}.txt`), caption(i));
    return { paths: ['doc-*.txt'], ids: range(n).map((i) => `doc-${i}.txt`), rejects: [] };
  },
  async empty(dir) {
    writeFileSync(join(dir, 'doc.txt'), '');
    return { paths: ['doc.txt'], ids: [], rejects: [['doc.txt', 'file', 'text.empty']] };
  },
  async malformed(dir, n, bad) {
    const ids = await txt.good(dir, n);
    writeFileSync(join(dir, `doc-${bad}.txt`), Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    return { ...ids, ids: ids.ids.filter((id) => id !== `doc-${bad}.txt`), rejects: [[`doc-${bad}.txt`, 'file', 'text.invalid_utf8']] };
  },
  // A plain .txt cut short is still text, for any reader: the case is run on the file's .gz form.
  async truncated(dir) {
    const gz = gzipSync(range(50).map(caption).join('\n'));
    writeFileSync(join(dir, 'doc.txt.gz'), gz.subarray(0, gz.length >> 1));
    return { paths: ['doc.txt.gz'], ids: [], rejects: [['doc.txt.gz', 'file', 'file.gzip_corrupt']] };
  },
};

const key = (i: number) => String(i).padStart(9, '0');
async function tarMembers(n: number, bad = -1): Promise<[string, Buffer | string][]> {
  const members: [string, Buffer | string][] = [];
  for (const i of range(n)) members.push([`${key(i)}.png`, await png(i)], ...(i === bad ? [] : [[`${key(i)}.txt`, caption(i)] as [string, string]]));
  return members;
}

const webdataset: SourceFixture = {
  name: 'caption/webdataset', kind: 'caption',
  async good(dir, n) {
    await writeTar(join(dir, 'pairs.tar'), await tarMembers(n));
    return { paths: ['pairs.tar'], ids: range(n).map((i) => `pairs.tar/${key(i)}`), rejects: [] };
  },
  async empty(dir) {
    writeFileSync(join(dir, 'pairs.tar'), '');
    return { paths: ['pairs.tar'], ids: [], rejects: [] };
  },
  async malformed(dir, n, bad) {
    await writeTar(join(dir, 'pairs.tar'), await tarMembers(n, bad));
    return { paths: ['pairs.tar'], ids: range(n).filter((i) => i !== bad).map((i) => `pairs.tar/${key(i)}`), rejects: [['pairs.tar', `member ${key(bad)}.png`, 'caption.missing']] };
  },
  async truncated(dir, n) {
    await writeTar(join(dir, 'pairs.tar'), await tarMembers(n));
    const whole = readFileSync(join(dir, 'pairs.tar'));
    // Cut inside the image of sample m: a sample is yielded once the next one's first member is read, so
    // samples before m - 1 come out; m - 1, the one cut and the rest do not.
    const m = Math.ceil(n / 2);
    writeFileSync(join(dir, 'pairs.tar'), whole.subarray(0, whole.indexOf(`${key(m)}.png`) + 512 + 20));
    return { paths: ['pairs.tar'], ids: range(m - 1).map((i) => `pairs.tar/${key(i)}`), rejects: [['pairs.tar', 'file', 'tar.unreadable']] };
  },
};

/** CSV with a relative image path per record; ids `file:record`. Captions are quoted, so a cut inside one is a parse error. */
async function writeCsv(dir: string, n: number, bad = -1): Promise<string> {
  const rows = ['image,caption'];
  for (const i of range(n)) {
    writeFileSync(join(dir, `img-${i}.png`), await png(i));
    rows.push(`img-${i}.png,"${i === bad ? '' : caption(i)}"`);
  }
  return rows.join('\n') + '\n';
}
const csv: SourceFixture = {
  name: 'caption/csv', kind: 'caption', ownLocation: (l) => l.replace(/ \(line \d+\)$/, ''),
  async good(dir, n) {
    writeFileSync(join(dir, 'pairs.csv'), await writeCsv(dir, n));
    return { paths: ['pairs.csv'], ids: range(n).map((i) => `pairs.csv:${i + 1}`), rejects: [] };
  },
  async empty(dir) {
    writeFileSync(join(dir, 'pairs.csv'), '');
    return { paths: ['pairs.csv'], ids: [], rejects: [] };
  },
  async malformed(dir, n, bad) {
    writeFileSync(join(dir, 'pairs.csv'), await writeCsv(dir, n, bad));
    return { paths: ['pairs.csv'], ids: range(n).filter((i) => i !== bad).map((i) => `pairs.csv:${i + 1}`), rejects: [['pairs.csv', `record ${bad + 1} (line ${bad + 2})`, 'caption.empty']] };
  },
  async truncated(dir, n) {
    const record = Math.ceil(n / 2);
    writeFileSync(join(dir, 'pairs.csv'), cutInLine(await writeCsv(dir, n), record + 1)); // line 1 is the header
    return { paths: ['pairs.csv'], ids: range(record - 1).map((i) => `pairs.csv:${i + 1}`), rejects: [['pairs.csv', 'file', 'file.read_error']] };
  },
};

/** Clips with a sidecar caption; ids: the clip's path. The reader does not open clips (the media stage does). */
function writeClips(dir: string, n: number, bad = -1): void {
  for (const i of range(n)) {
    copyFileSync(CLIP, join(dir, `clip-${i}.mp4`));
    if (i % 2) writeFileSync(join(dir, `clip-${i}.json`), i === bad ? '{"caption": ' : JSON.stringify({ caption: caption(i) }));
    else writeFileSync(join(dir, `clip-${i}.txt`), i === bad ? '  \n' : caption(i));
  }
}
const videoFiles: SourceFixture = {
  name: 'video/files', kind: 'video',
  async good(dir, n) {
    writeClips(dir, n);
    return { paths: ['clip-*.mp4'], ids: range(n).map((i) => `clip-${i}.mp4`), rejects: [] };
  },
  // The unit is the clip: an empty clip with a caption is a document here and a video.unreadable reject in the
  // media stage. The empty case is an empty clip with an empty caption file.
  async empty(dir) {
    writeFileSync(join(dir, 'clip.mp4'), '');
    writeFileSync(join(dir, 'clip.txt'), '');
    return { paths: ['clip.mp4'], ids: [], rejects: [['clip.mp4', 'file', 'caption.missing']] };
  },
  async malformed(dir, n, bad) {
    writeClips(dir, n, bad);
    return { paths: ['clip-*.mp4'], ids: range(n).filter((i) => i !== bad).map((i) => `clip-${i}.mp4`), rejects: [[`clip-${bad}.mp4`, 'file', 'caption.missing']] };
  },
  // What this reader reads of a clip is its caption: a sidecar .json cut in the middle.
  async truncated(dir) {
    copyFileSync(CLIP, join(dir, 'clip.mp4'));
    const json = JSON.stringify({ caption: caption(0) });
    writeFileSync(join(dir, 'clip.json'), json.slice(0, json.length >> 1));
    return { paths: ['clip.mp4'], ids: [], rejects: [['clip.mp4', 'file', 'caption.missing']] };
  },
};

const images = (sub: string) => `imageStore: {type: dir, path: "${sub}/images"}`;

/** Every source kind and input format. */
export const fixtures: SourceFixture[] = [
  ...(['', 'gzip', 'zstd'] as const).map((c) => jsonl({
    name: `text/jsonl${c === 'gzip' ? '.gz' : c === 'zstd' ? '.zst' : ''}`, kind: 'text', file: `docs.jsonl${c === 'gzip' ? '.gz' : c === 'zstd' ? '.zst' : ''}`,
    compress: c || undefined, corruptAt: 'after line 0', record: (i) => ({ text: caption(i) }),
  })),
  parquet({
    name: 'text/parquet', kind: 'text', file: 'docs.parquet', badReason: 'field.missing',
    async write(path, n, bad) {
      parquetWriteFile({ filename: path, columnData: [{ name: 'text', data: range(n).map((i) => (i === bad ? null : caption(i))), type: 'STRING' }] });
    },
  }),
  txt,
  webdataset,
  parquet({
    name: 'caption/parquet', kind: 'caption', file: 'pairs.parquet', badReason: 'caption.missing',
    async write(path, n, bad) {
      const imgs = await Promise.all(range(n).map(png));
      parquetWriteFile({ filename: path, columnData: [{ name: 'image', data: imgs, type: 'BYTE_ARRAY' }, { name: 'caption', data: range(n).map((i) => (i === bad ? null : caption(i))), type: 'STRING' }] });
    },
  }),
  jsonl({
    name: 'caption/jsonl', kind: 'caption', file: 'pairs.jsonl',
    async record(i, dir) {
      writeFileSync(join(dir, `img-${i}.png`), await png(i));
      return { image: `img-${i}.png`, caption: caption(i) };
    },
  }),
  csv,
  parquet({ name: 'interleaved/obelics', kind: 'interleaved', file: 'web.parquet', badReason: 'obelics.length_mismatch', write: writeObelics, runConfig: images }),
  jsonl({
    name: 'interleaved/mmc4', kind: 'interleaved', file: 'web.jsonl', runConfig: images,
    async record(i, dir) {
      const url = `https://example.org/mmc4/${i}.png`;
      mkdirSync(join(dir, 'images'), { recursive: true });
      writeFileSync(join(dir, 'images', `${urlKey(url)}.png`), await png(i));
      return { text_list: [caption(i), 'A second sentence.'], image_info: [{ raw_url: url, matched_text_index: 1, matched_sim: 0.3 }] };
    },
  }),
  videoFiles,
  jsonl({
    name: 'video/manifest', kind: 'video', file: 'clips.jsonl',
    record(i, dir) {
      copyFileSync(CLIP, join(dir, `clip-${i % 2}.mp4`));
      return { video: `clip-${i % 2}.mp4`, caption: caption(i), ...(i % 3 === 1 ? { clip: [0.2, 1.5] } : {}) };
    },
  }),
];
