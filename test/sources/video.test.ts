/**
 * The video reader on real clips (sample-data/video, and one made with ffmpeg here): sidecar captions
 * (.txt, .json with `caption` or `text`), a JSONL manifest with clip windows (plain and .gz), and what
 * becomes a reject — a clip without a caption, a manifest line naming a missing clip, a bad window.
 * The reader does not open clips: decoding and its rejects are the media stage's (test/media/video.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { copyFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { VideoSource } from '../../src/config/types.js';
import type { Document } from '../../src/core/model.js';
import { tempDir } from '../helpers/tmp.js';
import { readSource } from '../helpers/read-source.js';
import { sourceConfig } from '../../src/config/load.js';

const dir = tempDir();
const SAMPLE = resolve('sample-data/video');
const src = (paths: string[], extra: Partial<VideoSource> = {}): VideoSource => sourceConfig({ name: 'v', kind: 'video', paths: paths as [string], ...extra });
/** id, clip path relative to `base`, window, caption. */
const shape = (d: Document, base: string) => {
  const [video, text] = d.segments as [{ type: 'video'; path: string; clip?: [number, number] }, { type: 'text'; text: string }];
  return [d.id, video.path.replace(base + '/', ''), video.clip ?? null, text.text];
};
const rejectsOf = (r: Awaited<ReturnType<typeof readSource>>) => r.rejects.map((x) => [x.file, x.location, x.reason]);

// A 1-second 64×48 clip, made here (webm, so not the sample's codecs only).
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-t', '1', '-c:v', 'libvpx-vp9', '-b:v', '50k', join(dir, 'made.webm')]);

describe('sidecar captions', () => {
  test('the sample clips: .txt and .json sidecars; the caption follows the frames after a newline; ids are the clip paths', async () => {
    const r = await readSource(src(['*.mp4', '*.webm']), SAMPLE);
    expect(rejectsOf(r)).toEqual([]);
    expect(r.docs.map((d) => shape(d, SAMPLE))).toEqual([
      ['leds.mp4', 'leds.mp4', null, '\nA close look at a ring of LEDs on a circuit board.'],
      ['pan.webm', 'pan.webm', null, '\nThe camera pans across a development board with a blue button and a large chip.'],
      ['zoom.mp4', 'zoom.mp4', null, '\nA slow zoom into a green STM32F3DISCOVERY development board.'],
    ]);
    expect(r.docs[0]).toMatchObject({ source: 'v', kind: 'video', provenance: { source: 'v', file: 'leds.mp4', location: 'file' } });
  });

  test('.json with "text"; .txt before .json; no caption, an empty one, invalid UTF-8 or broken JSON: caption.missing', async () => {
    const clip = (name: string) => copyFileSync(join(dir, 'made.webm'), join(dir, name));
    clip('a.webm'); writeFileSync(join(dir, 'a.json'), JSON.stringify({ text: '  from "text"  ' }));
    clip('b.webm'); writeFileSync(join(dir, 'b.txt'), 'from the .txt'); writeFileSync(join(dir, 'b.json'), JSON.stringify({ caption: 'not this one' }));
    clip('c.webm'); // no sidecar
    clip('d.webm'); writeFileSync(join(dir, 'd.txt'), ' \n ');
    clip('e.webm'); writeFileSync(join(dir, 'e.txt'), Buffer.from([0x63, 0xff]));
    clip('f.webm'); writeFileSync(join(dir, 'f.json'), '{"caption": ');
    clip('g.webm'); writeFileSync(join(dir, 'g.json'), JSON.stringify({ caption: 42 }));
    const r = await readSource(src(['{a,b,c,d,e,f,g}.webm']), dir);
    expect(r.docs.map((d) => shape(d, dir))).toEqual([['a.webm', 'a.webm', null, '\nfrom "text"'], ['b.webm', 'b.webm', null, '\nfrom the .txt']]);
    expect(rejectsOf(r)).toEqual(['c', 'd', 'e', 'f', 'g'].map((k) => [`${k}.webm`, 'file', 'caption.missing']));
    expect(r.rejects[0].detail).toBe('no sidecar caption (.txt, or .json with "caption")');
  });
});

describe('JSONL manifest', () => {
  test('the sample manifest: clip windows, paths relative to the manifest, ids manifest:line', async () => {
    const r = await readSource(src(['manifest.jsonl']), SAMPLE);
    expect(rejectsOf(r)).toEqual([]);
    expect(r.docs.map((d) => shape(d, SAMPLE))).toEqual([
      ['manifest.jsonl:1', 'zoom.mp4', [0, 1.2], '\nThe first second of a zoom into a development board.'],
      ['manifest.jsonl:2', 'pan.webm', null, '\nA pan across a board, seen in full.'],
    ]);
    expect(r.docs[1].provenance).toEqual({ source: 'v', file: 'manifest.jsonl', location: 'line 2' });
  });

  test('windows, absolute paths, a missing clip, no caption, bad windows, lines that are not records; .gz the same', async () => {
    const lines = [
      { video: 'made.webm', caption: 'whole clip' },
      { video: 'made.webm', caption: 'a window', clip: [0.2, 0.8] },
      { video: join(SAMPLE, 'leds.mp4'), caption: 'absolute path' },
      { video: 'gone.mp4', caption: 'missing clip' },
      { video: 'made.webm' },
      { video: 'made.webm', caption: 'backwards', clip: [0.8, 0.2] },
      { video: 'made.webm', caption: 'one number', clip: [1] },
      { caption: 'no video' },
    ].map((l) => JSON.stringify(l));
    const body = [...lines, '{"video": ', '[1, 2]', 'null', '', JSON.stringify({ video: 'made.webm', caption: 'last' })].join('\n') + '\n';
    writeFileSync(join(dir, 'm.jsonl'), body);
    writeFileSync(join(dir, 'm.jsonl.gz'), gzipSync(body));
    for (const file of ['m.jsonl', 'm.jsonl.gz']) {
      const r = await readSource(src([file]), dir);
      expect(r.docs.map((d) => shape(d, dir)), file).toEqual([
        [`${file}:1`, 'made.webm', null, '\nwhole clip'],
        [`${file}:2`, 'made.webm', [0.2, 0.8], '\na window'],
        [`${file}:3`, join(SAMPLE, 'leds.mp4'), null, '\nabsolute path'],
        [`${file}:13`, 'made.webm', null, '\nlast'],
      ]);
      expect(rejectsOf(r), file).toEqual([
        [file, 'line 4', 'video.missing'], [file, 'line 5', 'caption.missing'], [file, 'line 6', 'video.bad_clip'], [file, 'line 7', 'video.bad_clip'],
        [file, 'line 8', 'video.missing'], [file, 'line 9', 'json.malformed'], [file, 'line 10', 'video.missing'], [file, 'line 11', 'video.missing'],
      ]);
      expect(r.rejects.map((x) => x.detail).slice(0, 3)).toEqual(['gone.mp4 does not exist', 'no "caption"', '"clip" [0.8, 0.2] is not a window (0 ≤ start < end)']);
    }
  });

  test('format: overrides the extension both ways; an over-long line is a reject and the next line is read', async () => {
    writeFileSync(join(dir, 'list.txt'), JSON.stringify({ video: 'made.webm', caption: 'from a .txt manifest' }) + '\n');
    const asManifest = await readSource(src(['list.txt'], { format: 'manifest' }), dir);
    expect(asManifest.docs.map((d) => shape(d, dir))).toEqual([['list.txt:1', 'made.webm', null, '\nfrom a .txt manifest']]);
    copyFileSync(join(dir, 'made.webm'), join(dir, 'odd.jsonl'));
    writeFileSync(join(dir, 'odd.txt'), 'a clip named .jsonl');
    const asClip = await readSource(src(['odd.jsonl'], { format: 'files' }), dir);
    expect(asClip.docs.map((d) => shape(d, dir))).toEqual([['odd.jsonl', 'odd.jsonl', null, '\na clip named .jsonl']]);
    writeFileSync(join(dir, 'long.jsonl'), [JSON.stringify({ video: 'made.webm', caption: 'x'.repeat(2 << 20) }), JSON.stringify({ video: 'made.webm', caption: 'short' })].join('\n'));
    const long = await readSource(src(['long.jsonl']), dir);
    expect(rejectsOf(long)).toEqual([['long.jsonl', 'line 1', 'text.too_large']]);
    expect(long.ids).toEqual(['long.jsonl:2']);
  });
});
