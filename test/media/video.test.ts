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
import { cpuBackend, tileEncoder } from '../../src/compute/cpu.js';
import { frameQueue } from '../../src/compute/index.js';
import { videoReader } from '../../src/sources/video.js';
import { MediaError } from '../../src/media/errors.js';
import { createHash } from 'node:crypto';
import { videoStage } from '../../src/media/video-stage.js';
import type { ComputeBackend } from '../../src/compute/index.js';
import type { VideoSource } from '../../src/config/types.js';
import type { MediaDocument, TiledVideo } from '../../src/core/model.js';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import { tempDir, PYTHON } from '../helpers/tmp.js';
import { readAll } from '../helpers/read-source.js';
import { sourceConfig } from '../../src/config/load.js';

const dir = tempDir();
const reasonOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: MediaError) => (e instanceof MediaError ? e.reason : `not a MediaError: ${e}`));
const enc = { encoding: 'jpeg' as const, quality: 90, timeoutMs: 30_000, tileSize: 448, frames: frameQueue(cpuBackend()) };

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
    expect(frameDecodeArgs('c.webm', [1], { codec: 'vp9', tileSize: 448 })).toContain('vp9_cuvid');
    expect(frameDecodeArgs('c.mp4', [1], { codec: 'hevc', tileSize: 448 }).join(' ')).toContain('scale_cuda=448:448:interp_algo=bicubic');
    expect(frameDecodeArgs('c.mp4', [1], { codec: 'h264', tileSize: 224 }).join(' ')).toContain('scale_cuda=224:224:interp_algo=bicubic');
    expect(() => frameDecodeArgs('c.avi', [1], { codec: 'rawvideo', tileSize: 448 })).toThrow(/no NVDEC decoder/);
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
    const { docs } = await readAll(videoReader, sourceConfig({ name: 'v', kind: 'video', paths: ['*.mp4', '*.webm'] }), 'sample-data/video');
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
    const side = await readAll(videoReader, sourceConfig({ name: 'v', kind: 'video', paths: ['nocap.mp4'] }), dir);
    expect(side.rejects.map((r) => r.reason)).toEqual(['caption.missing']);
    const man = await readAll(videoReader, sourceConfig({ name: 'v', kind: 'video', paths: ['m.jsonl'] }), dir);
    expect(man.docs.map((d) => (d.segments[0] as { clip?: number[] }).clip)).toEqual([[0.5, 1.5]]);
    expect(man.rejects.map((r) => [r.location, r.reason])).toEqual([['line 2', 'video.bad_clip'], ['line 3', 'video.missing'], ['line 4', 'caption.missing']]);
  });
});

describe('video stage: frames go through the compute backend at images.tileSize', () => {
  const clipDoc = (f: string) => ({
    id: f, source: 'v', kind: 'video' as const, provenance: { source: 'v', file: f, location: 'file' },
    segments: [{ type: 'video' as const, path: `sample-data/video/${f}` }, { type: 'text' as const, text: 'caption' }],
  });
  const source: VideoSource = sourceConfig({ kind: 'video', name: 'v', paths: ['*.mp4'], minFrames: 5, maxFrames: 5, sample: 'middle' });
  async function stage(compute: ComputeBackend, tileSize: number, encoding: 'jpeg' | 'raw', files = ['leds.mp4', 'zoom.mp4']) {
    const stats = new Stats();
    const rejects = new Rejects(stats, undefined, 0, true);
    const docs: MediaDocument[] = [];
    const input = (async function* () { yield* files.map(clipDoc); })();
    for await (const d of videoStage(input, { source, seed: 1, compute, tileSize, encoding, quality: 95, concurrency: 2, rejects, stats })) docs.push(d);
    const videos = docs.map((d) => (d.segments.find((s) => s.type === 'video') as { video: TiledVideo }).video);
    return { docs, videos, rejects: rejects.records };
  }
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  test('cpu backend: each frame is PIL bicubic of ffmpeg\'s decode, at 448 and at 224 — raw bit-identical, JPEG the bytes PIL writes at q95', async () => {
    const compute = cpuBackend();
    const out: Record<string, { raw: string[]; jpeg: string[]; idx: number[]; w: number; h: number }> = {};
    for (const S of [448, 224]) {
      const raw = await stage(compute, S, 'raw');
      const jpeg = await stage(compute, S, 'jpeg');
      raw.videos.forEach((v, c) => {
        expect(v.frameIndices).toEqual(jpeg.videos[c].frameIndices);
        expect(v.frames.every((f) => f.length === S * S * 3)).toBe(true);
        const [w, h] = c === 0 ? [256, 192] : [320, 240];
        out[`${c}/${S}`] = { raw: v.frames.map(sha), jpeg: jpeg.videos[c].frames.map(sha), idx: v.frameIndices, w, h };
      });
    }
    const py = `
import hashlib, io, json, subprocess, sys
from PIL import Image
files = ['leds.mp4', 'zoom.mp4']
res = {}
for key, v in json.load(sys.stdin).items():
    c, S = key.split('/'); S = int(S)
    path = 'sample-data/video/' + files[int(c)]
    w, h = v['w'], v['h']
    raw, jpg = [], []
    for i in v['idx']:
        px = subprocess.run(['ffmpeg', '-v', 'error', '-i', path, '-vf', "select='eq(n\\\\,%d)'" % i, '-vsync', '0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], check=True, capture_output=True).stdout
        im = Image.frombytes('RGB', (w, h), px).resize((S, S), Image.BICUBIC)
        raw.append(hashlib.sha256(im.tobytes()).hexdigest())
        b = io.BytesIO(); im.save(b, format='JPEG', quality=95)
        jpg.append(hashlib.sha256(b.getvalue()).hexdigest())
    res[key] = {'raw': raw, 'jpeg': jpg}
print(json.dumps(res))`;
    const ref = JSON.parse(execFileSync(PYTHON, ['-c', py], { input: JSON.stringify(out), encoding: 'utf8' }));
    for (const [key, v] of Object.entries(out)) {
      expect(v.raw, `${key} raw`).toEqual(ref[key].raw);
      // libjpeg-turbo writes PIL's bytes; the sharp fallback (no libturbojpeg) does not.
      if (tileEncoder() === 'libjpeg-turbo') expect(v.jpeg, `${key} jpeg`).toEqual(ref[key].jpeg);
    }
  });

  test('a fake backend gets every frame, at native size, in batches of its size with the configured tile size, a bounded number at once; results come back in order', async () => {
    const batches: { n: number; sizes: string[] }[] = [];
    let inFlight = 0;
    let maxSeen = 0;
    const fake: ComputeBackend = {
      name: 'cpu', encoder: 'fake', frames: 'cpu', batching: { maxItems: 3, maxInFlight: 2 },
      async tileImages() { throw new Error('no images here'); },
      async tileImage() { throw new Error('no images here'); },
      async tileFrames(batch) {
        batches.push({ n: batch.length, sizes: batch.map((j) => `${j.frame.width}x${j.frame.height}->${j.opts.tileSize}:${j.opts.encoding}`) });
        maxSeen = Math.max(maxSeen, ++inFlight);
        await new Promise((r) => setTimeout(r, 5 + 20 * Math.random())); // finish out of order
        inFlight--;
        return batch.map((j) => ({ ok: true as const, value: Buffer.from(sha(j.frame.data.subarray(0, j.frame.width * j.frame.height * 3))) }));
      },
      async close() {},
    };
    const { videos, rejects } = await stage(fake, 224, 'jpeg');
    expect(rejects).toEqual([]);
    expect(new Set(batches.flatMap((b) => b.sizes))).toEqual(new Set(['256x192->224:jpeg', '320x240->224:jpeg']));
    expect(Math.max(...batches.map((b) => b.n))).toBe(3);
    expect(batches.reduce((a, b) => a + b.n, 0)).toBe(videos.reduce((a, v) => a + new Set(v.frameIndices).size, 0));
    expect(maxSeen).toBeLessThanOrEqual(2);
    // Each tile is the fake's answer for that very frame: ffmpeg's own decode of it, hashed.
    videos.forEach((v, c) => {
      const path = `sample-data/video/${['leds.mp4', 'zoom.mp4'][c]}`;
      const want = v.frameIndices.map((i) => sha(execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-vf', `select='eq(n\\,${i})'`, '-vsync', '0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'])));
      expect(v.frames.map((f) => Buffer.from(f).toString())).toEqual(want);
    });
  });

  test('a frame the backend fails rejects its clip with that reason; the other clip goes through', async () => {
    const cpu = cpuBackend();
    let n = 0;
    const failing: ComputeBackend = {
      ...cpu,
      async tileFrames(batch) {
        const r = await cpu.tileFrames(batch);
        // The third frame of zoom.mp4 (320×240; leds.mp4 is 256×192) fails, only that item.
        return r.map((x, i) => (batch[i].frame.width === 320 && ++n === 3 ? { ok: false as const, error: new MediaError('video.gpu', 'frame refused') } : x));
      },
    };
    const { docs, rejects } = await stage(failing, 448, 'jpeg');
    expect(docs.map((d) => d.id)).toEqual(['leds.mp4']);
    expect(rejects.map((r) => [r.file, r.reason, r.detail])).toEqual([['zoom.mp4', 'video.gpu', 'frame refused']]);
  });
});
