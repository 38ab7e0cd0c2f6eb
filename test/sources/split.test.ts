/**
 * Several ranks split a big file: Parquet by row groups, WebDataset tars by whole samples. The union of
 * what the ranks read is the file, each record once, with the ids and locations of a whole-file read;
 * with one rank nothing changes; a damaged file is rejected as before.
 */
import { describe, expect, test } from 'vitest';
import { openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import type { Source as SourceIn } from '../../src/config/types.gen.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import type { Document } from '../../src/core/model.js';
import { sourceConfig } from '../../src/config/load.js';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import { silentLogger } from '../../src/core/log.js';
import { openSources } from '../../src/sources/open.js';
import { tarPieces } from '../../src/sources/webdataset.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTar } from '../helpers/media.js';
import { readSource } from '../helpers/read-source.js';

const dir = tempDir();

/** What rank `rank` of `worldSize` reads of one source: its documents, rejects and units. */
async function readRank(raw: SourceIn, rank: number, worldSize: number) {
  const stats = new Stats();
  const rejects = new Rejects(stats, undefined, 0, true);
  const config = { sources: [sourceConfig(raw)], baseDir: dir } as Pick<ResolvedConfig, 'sources' | 'baseDir'> as ResolvedConfig;
  const [src] = await openSources(config, { rank, worldSize, rejects, signal: new AbortController().signal, log: silentLogger, stats });
  const docs: Document[] = [];
  for await (const d of src.documents()) docs.push(d);
  return { docs, rejects: rejects.records, units: src.units };
}

const readRanks = (raw: SourceIn, worldSize: number) => Promise.all(Array.from({ length: worldSize }, (_, r) => readRank(raw, r, worldSize)));

/**
 * The ranks' documents put in the order of a whole-file read (`whole`): each rank reads its parts in file
 * order, so its own documents must already be in that order.
 */
function inWholeOrder(ranks: Awaited<ReturnType<typeof readRank>>[], whole: Document[]): Document[] {
  const at = new Map(whole.map((d, i) => [d.id, i]));
  const pos = (d: Document) => at.get(d.id) ?? -1;
  for (const r of ranks) expect(r.docs.map(pos)).toEqual(r.docs.map(pos).sort((a, b) => a - b));
  return ranks.flatMap((r) => r.docs).sort((a, b) => pos(a) - pos(b));
}

const textSrc = (paths: string[], extra: Record<string, unknown> = {}) => ({ name: 'txt', kind: 'text', paths, field: 'content', ...extra }) as SourceIn;
const capSrc = (paths: string[]) => ({ name: 'cap', kind: 'caption', paths }) as SourceIn;

async function parquetOf(file: string, rows: number, rowGroupSize: number) {
  const data = Array.from({ length: rows }, (_, i) => `row text ${i} `.repeat(20));
  await parquetWriteFile({ filename: join(dir, file), columnData: [{ name: 'content', data, type: 'STRING' }], rowGroupSize });
}

/** 40 samples of an image and a caption, of equal size; some keys long enough to need a pax header. */
async function captionTar(file: string, samples = 40) {
  const members: [string, Buffer | string][] = [];
  for (let i = 0; i < samples; i++) {
    const key = i % 7 === 3 ? `shard/${'long-key-'.repeat(14)}${String(i).padStart(4, '0')}` : `shard/${String(i).padStart(9, '0')}`;
    members.push([`${key}.jpg`, Buffer.alloc(2000, i)], [`${key}.txt`, `caption ${String(i).padStart(4, '0')}`]);
  }
  await writeTar(join(dir, file), members);
}

describe('Parquet: ranks split a file by row groups', () => {
  test('a 4-row-group file at world size 3: every rank reads row groups, the union is the file, each row once', async () => {
    await parquetOf('four.parquet', 40, 10);
    const whole = await readSource(textSrc(['four.parquet']), dir);
    expect(whole.docs).toHaveLength(40);
    const ranks = await readRanks(textSrc(['four.parquet']), 3);
    for (const r of ranks) {
      expect(r.docs.length).toBeGreaterThan(0);
      expect(r.rejects).toEqual([]);
      for (const u of r.units) expect(u.part).toMatchObject({ kind: 'row-groups' });
    }
    expect(ranks.map((r) => r.docs.length).sort()).toEqual([10, 10, 20]);
    // Same documents, same ids (`file:rowN` of the whole file), same locations, each once.
    expect(inWholeOrder(ranks, whole.docs)).toEqual(whole.docs);
  });

  test('world size 1 reads the file whole, exactly as before', async () => {
    const one = await readRank(textSrc(['four.parquet']), 0, 1);
    expect(one.units.map((u) => u.part)).toEqual([undefined]);
    expect(one.docs).toEqual((await readSource(textSrc(['four.parquet']), dir)).docs);
    expect(one.docs.map((d) => d.id)).toEqual(Array.from({ length: 40 }, (_, i) => `four.parquet:row${i}`));
  });

  test('a file that is not Parquet, or lacks the column, stays whole: one reject, in one rank, as with one rank', async () => {
    writeFileSync(join(dir, 'junk.parquet'), Buffer.alloc(5000, 3));
    await parquetOf('other.parquet', 40, 10);
    for (const [paths, extra] of [[['junk.parquet'], {}], [['other.parquet'], { field: 'text' }]] as const) {
      const whole = await readSource(textSrc([...paths], extra), dir);
      expect(whole.rejects.map((r) => r.reason)).toEqual(['parquet.unreadable']);
      const ranks = await readRanks(textSrc([...paths], extra), 3);
      expect(ranks.flatMap((r) => r.rejects)).toEqual(whole.rejects);
      expect(ranks.flatMap((r) => r.units).map((u) => u.part)).toEqual([undefined]);
    }
  });

  test('a damaged row group is rejected once, by the rank that reads it; the parts of other ranks are read', async () => {
    await parquetOf('damaged.parquet', 40, 10);
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'damaged.parquet')));
    const at = Number(meta.row_groups[1].columns[0].meta_data!.data_page_offset);
    const fd = openSync(join(dir, 'damaged.parquet'), 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, at);
    closeSync(fd);
    const whole = await readSource(textSrc(['damaged.parquet']), dir);
    expect(whole.rejects.map((r) => [r.location, r.reason])).toEqual([['after row 9', 'parquet.unreadable']]);
    expect(whole.docs).toHaveLength(10); // one rank stops at the damage
    const ranks = await readRanks(textSrc(['damaged.parquet']), 3);
    // The same reject, once; the row groups after the damage belong to other parts, which are still read.
    expect(ranks.flatMap((r) => r.rejects)).toEqual(whole.rejects);
    expect(ranks.flatMap((r) => r.docs.map((d) => d.id)).sort()).toEqual(
      [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 20 + i)].map((i) => `damaged.parquet:row${i}`).sort(),
    );
  });
});

describe('WebDataset: ranks split a tar by whole samples', () => {
  test('40 samples at world size 3: the union is every sample once, balanced within one sample', async () => {
    await captionTar('forty.tar');
    const whole = await readSource(capSrc(['forty.tar']), dir);
    expect(whole.rejects).toEqual([]);
    expect(whole.docs).toHaveLength(40);
    const ranks = await readRanks(capSrc(['forty.tar']), 3);
    for (const r of ranks) {
      expect(r.rejects).toEqual([]);
      expect(r.docs.length).toBeGreaterThan(0);
      for (const u of r.units) expect(u.part).toMatchObject({ kind: 'bytes' });
    }
    // No sample is cut in two: the same documents (image + caption, same ids and locations), each once.
    expect(inWholeOrder(ranks, whole.docs)).toEqual(whole.docs);
    // Balanced: the ranks' bytes differ by at most one sample (its members, headers and pax header).
    const pieces = (await tarPieces(join(dir, 'forty.tar'), 1 << 30))!;
    expect(pieces).toHaveLength(40);
    const biggest = Math.max(...pieces.slice(0, -1).map((p) => p.bytes));
    const loads = ranks.map((r) => r.units.reduce((a, u) => a + u.size, 0));
    expect(loads.reduce((a, b) => a + b)).toBe(readFileSync(join(dir, 'forty.tar')).length);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(biggest);
    // Counted by samples too.
    const counts = ranks.map((r) => r.docs.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1 + 1);
  });

  test('world size 1 reads the tar whole, exactly as before', async () => {
    const one = await readRank(capSrc(['forty.tar']), 0, 1);
    expect(one.units.map((u) => u.part)).toEqual([undefined]);
    expect(one.docs.map((d) => d.id)).toEqual((await readSource(capSrc(['forty.tar']), dir)).ids);
  });

  test('members of one key are never split, even with other entries between them', async () => {
    const members: [string, Buffer | string][] = [];
    for (let i = 0; i < 12; i++) members.push([`k${i}.jpg`, Buffer.alloc(3000, i)], ['README', 'not a member of a sample'], [`k${i}.txt`, `cap ${i}`]);
    await writeTar(join(dir, 'mixed.tar'), members);
    const whole = await readSource(capSrc(['mixed.tar']), dir);
    const ranks = await readRanks(capSrc(['mixed.tar']), 4);
    expect(ranks.every((r) => r.docs.length > 0)).toBe(true);
    expect(inWholeOrder(ranks, whole.docs)).toEqual(whole.docs);
    expect(ranks.flatMap((r) => r.rejects)).toEqual([]);
  });

  test('a truncated or corrupt tar stays whole: the same rejects, once, in one rank', async () => {
    const full = readFileSync(join(dir, 'forty.tar'));
    // Cut inside a block (a cut exactly between two members cannot be told from the end of a tar).
    writeFileSync(join(dir, 'cut.tar'), full.subarray(0, Math.floor((full.length * 0.6) / 512) * 512 + 300));
    const bad = Buffer.from(full);
    const middle = (await tarPieces(join(dir, 'forty.tar'), 1 << 30))![20].part.start;
    bad.fill(0x41, middle, middle + 512); // the header of a sample in the middle, overwritten
    writeFileSync(join(dir, 'bad.tar'), bad);
    for (const file of ['cut.tar', 'bad.tar']) {
      const whole = await readSource(capSrc([file]), dir);
      expect(whole.rejects.map((r) => r.reason), file).toEqual(['tar.unreadable']);
      const ranks = await readRanks(capSrc([file]), 3);
      expect(ranks.flatMap((r) => r.units).map((u) => u.part)).toEqual([undefined]);
      expect(ranks.flatMap((r) => r.rejects)).toEqual(whole.rejects);
      expect(ranks.flatMap((r) => r.docs)).toEqual(whole.docs);
    }
  });

  test('a .tgz is never split', async () => {
    expect(await tarPieces(join(dir, 'forty.tgz'), 1 << 30)).toBeNull();
  });
});
