/**
 * Video decoding on real clips (sample-data/video, made with ffmpeg from the sample photos) and the
 * broken-clip cases, each a VideoError with ffmpeg's / ffprobe's reason.
 */
import { describe, expect, test } from 'vitest';
import { writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { probeVideo, tileVideo, frameDecodeArgs } from '../../src/media/video.js';
import { sampleFrameIndices } from '../../src/media/frames.js';
import { videoReader } from '../../src/sources/video.js';
import { MediaError } from '../../src/media/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { readAll } from '../helpers/read-source.js';

const dir = tempDir();
const reasonOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: MediaError) => (e instanceof MediaError ? e.reason : `not a MediaError: ${e}`));
const enc = { encoding: 'jpeg' as const, quality: 90, timeoutMs: 30_000 };

describe('video: real clips', () => {
  test('probe mp4 (h264) and webm (vp9, frame count from packets)', async () => {
    expect(await probeVideo('sample-data/video/zoom.mp4', { timeoutMs: 30_000 })).toMatchObject({ frames: 30, fps: 10, width: 320, height: 240, codec: 'h264' });
    expect(await probeVideo('sample-data/video/pan.webm', { timeoutMs: 30_000 })).toMatchObject({ frames: 30, fps: 10, codec: 'vp9' });
  });

  test('the chosen frames — repeats included — come back as 448×448 tiles, in order, from one ffmpeg run', async () => {
    const probe = await probeVideo('sample-data/video/leds.mp4', { timeoutMs: 30_000 });
    const indices = sampleFrameIndices(24, probe.frames, { sample: 'middle' }); // 20-frame clip → padded
    expect(indices.slice(-5)).toEqual([19, 19, 19, 19, 19]);
    const v = await tileVideo('sample-data/video/leds.mp4', { ...enc, indices, probe });
    expect(v.frames).toHaveLength(24);
    expect(v.frameIndices).toEqual(indices);
    expect(await sharp(v.frames[0]).metadata()).toMatchObject({ format: 'jpeg', width: 448, height: 448 });
    expect(Buffer.compare(v.frames[20], v.frames[23])).toBe(0);
    // The frames differ from one another (a zoom), and equal ffmpeg's own decode of that frame, resized.
    expect(Buffer.compare(v.frames[0], v.frames[10])).not.toBe(0);
    const ref = execFileSync('ffmpeg', ['-v', 'error', '-i', 'sample-data/video/leds.mp4', '-vf', "select='eq(n\\,5)'", '-vsync', '0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const ours = await sharp(v.frames[indices.indexOf(5)]).resize(probe.width, probe.height, { fit: 'fill' }).raw().toBuffer();
    let se = 0;
    for (let i = 0; i < ours.length; i++) se += (ours[i] - ref[i]) ** 2;
    expect(10 * Math.log10((255 * 255) / (se / ours.length))).toBeGreaterThan(30);
  });

  test('decode arguments: one select over unique frames; NVDEC decoder by codec for cuda', () => {
    expect(frameDecodeArgs('c.mp4', [3, 17])).toEqual(['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', 'c.mp4', '-vf', "select='eq(n\\,3)+eq(n\\,17)'", '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    expect(frameDecodeArgs('c.webm', [1], 'cuda', 'vp9')).toContain('vp9_cuvid');
    expect(frameDecodeArgs('c.mp4', [1], 'cuda', 'hevc').join(' ')).toContain('scale_cuda=448:448:interp_algo=bicubic');
    expect(() => frameDecodeArgs('c.avi', [1], 'cuda', 'rawvideo')).toThrow(/no NVDEC decoder/);
  });
});

describe('video: broken, empty, audio-only and hung', () => {
  test('zero bytes, garbage, truncated, audio only', async () => {
    writeFileSync(join(dir, 'empty.mp4'), '');
    writeFileSync(join(dir, 'garbage.mp4'), Buffer.alloc(5000, 0x42));
    const clip = readFileSync('sample-data/video/zoom.mp4');
    writeFileSync(join(dir, 'trunc.mp4'), clip.subarray(0, 2000));
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', join(dir, 'audio.m4a')]);
    for (const [f, reason] of [['empty.mp4', 'video.unreadable'], ['garbage.mp4', 'video.unreadable'], ['trunc.mp4', 'video.unreadable'], ['audio.m4a', 'video.no_stream']]) {
      expect(await reasonOf(probeVideo(join(dir, f), { timeoutMs: 30_000 })), f).toBe(reason);
    }
  });

  test('a hung ffmpeg is killed after the timeout', async () => {
    const fake = join(dir, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\nsleep 30\n');
    chmodSync(fake, 0o755);
    const probe = await probeVideo('sample-data/video/zoom.mp4', { timeoutMs: 30_000 });
    const t0 = Date.now();
    expect(await reasonOf(tileVideo('sample-data/video/zoom.mp4', { ...enc, timeoutMs: 500, indices: [1], probe, env: { ...process.env, FFMPEG_PATH: fake } }))).toBe('video.timeout');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('video sources', () => {
  test('sidecar captions (.txt / .json), manifest with clip windows, and their rejects', async () => {
    const { docs } = await readAll(videoReader, { name: 'v', kind: 'video', paths: ['*.mp4', '*.webm'] }, 'sample-data/video');
    expect(docs.map((d) => [d.id, (d.segments[1] as { text: string }).text.trim().slice(0, 20)])).toEqual([
      ['leds.mp4', 'A close look at a ri'], ['pan.webm', 'The camera pans acro'], ['zoom.mp4', 'A slow zoom into a g'],
    ]);
    writeFileSync(join(dir, 'nocap.mp4'), readFileSync('sample-data/video/leds.mp4'));
    writeFileSync(join(dir, 'm.jsonl'), [
      JSON.stringify({ video: 'nocap.mp4', caption: 'ok', clip: [0.5, 1.5] }),
      JSON.stringify({ video: 'nocap.mp4', caption: 'bad window', clip: [3, 1] }),
      JSON.stringify({ video: 'gone.mp4', caption: 'missing file' }),
      JSON.stringify({ video: 'nocap.mp4' }),
    ].join('\n'));
    const side = await readAll(videoReader, { name: 'v', kind: 'video', paths: ['nocap.mp4'] }, dir);
    expect(side.rejects.map((r) => r.reason)).toEqual(['caption.missing']);
    const man = await readAll(videoReader, { name: 'v', kind: 'video', paths: ['m.jsonl'] }, dir);
    expect(man.docs.map((d) => (d.segments[0] as { clip?: number[] }).clip)).toEqual([[0.5, 1.5]]);
    expect(man.rejects.map((r) => [r.location, r.reason])).toEqual([['line 2', 'video.bad_clip'], ['line 3', 'video.missing'], ['line 4', 'caption.missing']]);
  });
});
