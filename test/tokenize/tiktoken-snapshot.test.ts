/**
 * The tokenizer threads' tiktoken from a snapshot of a built instance's memory (src/tokenize/tiktoken-snapshot.ts):
 * the first thread builds and writes it; later ones restore it and give the same ids as a freshly built BPE;
 * a snapshot that does not check out (a flipped byte, another vocabulary or pattern, a cut-off file) is
 * rebuilt, never used; an unwritable place only costs the build. Each case runs in its own thread, as the
 * pool runs it (the loader takes tiktoken's glue module over for its thread).
 */
import { describe, expect, test } from 'vitest';
import { existsSync, readFileSync, writeFileSync, statSync, truncateSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadTiktoken } from '../../src/tokenize/tiktoken-snapshot.js';
import { loadPrepared } from '../../src/tokenize/prepared.js';
import { createFastEncoder } from '../../src/tokenize/fast.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const tiktokenPath = createRequire(import.meta.url).resolve('tiktoken');
const spec = loadPrepared({ name: 'internvl3' }).prepared.fast!;
const texts = [
  readFileSync('README.md', 'utf8'),
  'Ünïcödé, 日本語のテキスト, العربية, emoji 🙂👍🏽, tabs\tand\r\nnewlines, contractions: it\'s we\'RE they\'ll, ſ long s, digits 1234567890.',
  '   leading spaces and trailing   ',
  'x'.repeat(5000),
];

function inThread(snapshot: string | null, pattern = spec.pattern): Promise<{ from: string; ids: number[][] }> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const r = (${loadTiktoken.toString()})(require, workerData.tiktokenPath, workerData.spec, workerData.snapshot);
    parentPort.postMessage({ from: r.from, ids: workerData.texts.map((t) => Array.from(r.enc.encode_ordinary(t))) });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { tiktokenPath, spec: { ...spec, pattern }, snapshot, texts } });
    w.once('message', (m) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
}

describe('tiktoken from a snapshot', () => {
  const expected = (() => {
    const fast = createFastEncoder(spec);
    return texts.map((t) => Array.from(fast.encode(t)));
  })();

  test('built once and written; restored later with the same ids as a freshly built BPE', async () => {
    const snap = join(dir, 'a.snapshot');
    const first = await inThread(snap);
    expect(first.from).toBe('built');
    expect(first.ids).toEqual(expected);
    expect(statSync(snap).size).toBeGreaterThan(1 << 20);
    const again = await inThread(snap);
    expect(again.from).toBe('snapshot');
    expect(again.ids).toEqual(expected);
  }, 60_000);

  test('a snapshot that does not check out is rebuilt (and rewritten), never used', async () => {
    const snap = join(dir, 'b.snapshot');
    await inThread(snap);
    const good = readFileSync(snap);
    // A flipped byte in the body.
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1000] ^= 0x40;
    writeFileSync(snap, flipped);
    const r1 = await inThread(snap);
    expect(r1.from).toBe('built');
    expect(r1.ids).toEqual(expected);
    expect(readFileSync(snap).equals(flipped)).toBe(false); // rewritten by the build …
    expect((await inThread(snap)).from).toBe('snapshot'); // … and good again
    // Cut off.
    truncateSync(snap, 4096);
    const r2 = await inThread(snap);
    expect(r2.from).toBe('built');
    expect(r2.ids).toEqual(expected);
    // Another pattern: another key, so the snapshot is not taken for it.
    const other = await inThread(snap, spec.pattern + '|x');
    expect(other.from).toBe('built');
  }, 120_000);

  test('no snapshot place, or an unwritable one: built, same ids', async () => {
    const none = await inThread(null);
    expect(none.from).toBe('built');
    expect(none.ids).toEqual(expected);
    const bad = join(dir, 'no-such-dir', 'c.snapshot');
    const r = await inThread(bad);
    expect(r.from).toBe('built');
    expect(r.ids).toEqual(expected);
    expect(existsSync(bad)).toBe(false);
  }, 60_000);
});
