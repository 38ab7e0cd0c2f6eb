/**
 * Video clips: probe with ffprobe, decode only the chosen frames with ONE ffmpeg process per clip (a
 * `select` filter over the frame numbers, raw RGB at native size on stdout, read frame by frame), and hand
 * each decoded frame to the compute backend (through a `FrameQueue`, in the batches the backend asks for),
 * which resizes it to one `tileSize`² tile and encodes it. While the backend has no room for another batch
 * the pipe is paused, so the frames held stay bounded (one at a time on the cpu backend).
 * A hung ffmpeg/ffprobe is killed after the timeout. Every failure is a MediaError with a reason.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { MediaError } from './errors.js';
import { findBinary, type FrameQueue, type FrameTileOptions } from '../compute/index.js';
import type { TiledVideo } from '../core/model.js';

export class VideoError extends MediaError {}

export interface VideoProbe { frames: number; fps: number; duration: number; width: number; height: number; codec: string }

interface Run { stdout: Buffer; stderr: string; code: number | null; timedOut: boolean }

/** Run a binary with a timeout, collecting output (or streaming stdout to `onData`, which may pause it). */
function run(bin: string, args: string[], timeoutMs: number, onData?: (b: Buffer, stdout: Readable) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Own process group, so that a timeout kills ffmpeg and anything it started (a wrapper script's child too).
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
      resolve({ stdout: Buffer.alloc(0), stderr: err, code: null, timedOut });
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (onData ? onData(d, child.stdout) : out.push(d)));
    child.stderr.on('data', (d: Buffer) => { if (err.length < 20_000) err += d; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ stdout: Buffer.concat(out), stderr: err, code, timedOut }); });
  });
}

const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).pop() ?? '';

export async function probeVideo(path: string, opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<VideoProbe> {
  const ffprobe = findBinary('ffprobe', opts.env).path;
  const args = ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,nb_read_packets,duration:format=duration', '-of', 'json', path];
  const r = await run(ffprobe, args, opts.timeoutMs);
  if (r.timedOut) throw new VideoError('video.timeout', `ffprobe did not finish in ${opts.timeoutMs} ms`);
  if (r.code !== 0) throw new VideoError('video.unreadable', `ffprobe: ${lastLine(r.stderr) || `exit ${r.code}`}`);
  let j: { streams?: Record<string, string | number>[]; format?: { duration?: string } };
  try {
    j = JSON.parse(r.stdout.toString('utf8'));
  } catch {
    throw new VideoError('video.unreadable', 'ffprobe printed no JSON');
  }
  const s = j.streams?.[0];
  if (!s) throw new VideoError('video.no_stream', 'no video stream (audio-only or not a video)');
  const rate = (v: unknown) => { const [a, b] = String(v ?? '0/1').split('/').map(Number); return b ? a / b : 0; };
  const fps = rate(s.avg_frame_rate) || rate(s.r_frame_rate);
  const frames = Number(s.nb_read_packets ?? s.nb_frames ?? 0);
  const duration = Number(s.duration ?? j.format?.duration ?? 0);
  if (!frames || !fps) throw new VideoError('video.empty', `no frames (${frames} frames at ${fps} fps)`);
  return { frames, fps, duration, width: Number(s.width), height: Number(s.height), codec: String(s.codec_name) };
}

/**
 * The identity of a clip file: the SHA-256 of its bytes (hex). What seeds its frame draws, so that the same
 * file gets the same frames however the config names it (relative to the config, absolute, from a config
 * elsewhere): an id or path string would change with the config's location. One sequential read, as
 * ffprobe's packet count already makes.
 */
export async function clipDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The ffmpeg arguments that decode exactly `indices` (sorted, unique) as raw RGB at native size — what
 * `tileVideo` runs. With `nvdec`, arguments that decode on NVDEC and scale on the GPU to `tileSize`² instead:
 * NOT used by the pipeline (frames are resized by the compute backend, `ComputeBackend.tileFrames`); kept,
 * tested, for a GPU frame path to build on.
 */
export function frameDecodeArgs(path: string, indices: number[], nvdec?: { codec: string; tileSize: number }): string[] {
  const select = `select='${indices.map((i) => `eq(n\\,${i})`).join('+')}'`;
  if (nvdec) {
    const cuvid = ({ h264: 'h264_cuvid', hevc: 'hevc_cuvid', vp9: 'vp9_cuvid', av1: 'av1_cuvid', mpeg4: 'mpeg4_cuvid', vp8: 'vp8_cuvid' } as Record<string, string>)[nvdec.codec];
    if (!cuvid) throw new VideoError('video.unsupported', `no NVDEC decoder for codec ${nvdec.codec}`);
    const S = nvdec.tileSize;
    return ['-hide_banner', '-loglevel', 'error', '-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-c:v', cuvid, '-i', path,
      '-vf', `${select},scale_cuda=${S}:${S}:interp_algo=bicubic,hwdownload,format=nv12,format=rgb24`, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  }
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', path, '-vf', select, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
}

export interface TileVideoOptions extends FrameTileOptions {
  indices: number[];
  /** The compute backend's frame queue (`frameQueue(compute)`), shared by the clips of a stage. */
  frames: FrameQueue;
  timeoutMs: number;
  probe: VideoProbe;
  env?: NodeJS.ProcessEnv;
}

/**
 * Decode the frames at `indices` (repeats allowed) with one ffmpeg process and have the compute backend turn
 * each into one `tileSize`² tile. A frame the backend fails is that item's MediaError, which fails the clip.
 */
export async function tileVideo(path: string, o: TileVideoOptions): Promise<TiledVideo> {
  const unique = [...new Set(o.indices)].sort((a, b) => a - b);
  const { width, height } = o.probe;
  const frameBytes = width * height * 3;
  const ffmpeg = findBinary('ffmpeg', o.env).path;
  const opts: FrameTileOptions = { tileSize: o.tileSize, encoding: o.encoding, quality: o.quality };
  const tiles = new Map<number, Promise<Uint8Array>>();
  // Chunks are gathered until a whole frame is there, then joined once (no quadratic re-copying).
  let chunks: Buffer[] = [];
  let have = 0;
  let k = 0;
  let paused = false;
  const onData = (d: Buffer, stdout: Readable) => {
    chunks.push(d);
    have += d.length;
    while (have >= frameBytes && k < unique.length) {
      const all = Buffer.concat(chunks, have);
      const frame = Buffer.from(all.subarray(0, frameBytes));
      chunks = have > frameBytes ? [Buffer.from(all.subarray(frameBytes))] : [];
      have -= frameBytes;
      tiles.set(unique[k++], o.frames.push({ frame: { data: frame, width, height }, opts }));
    }
    if (!paused && !o.frames.hasRoom) {
      paused = true;
      stdout.pause();
      void o.frames.whenRoom().then(() => {
        paused = false;
        stdout.resume();
      });
    }
  };
  let r: Run;
  try {
    r = await run(ffmpeg, frameDecodeArgs(path, unique), o.timeoutMs, onData);
  } finally {
    o.frames.flush();
  }
  if (r.timedOut) throw new VideoError('video.timeout', `ffmpeg did not finish in ${o.timeoutMs} ms (killed)`);
  if (r.code !== 0) throw new VideoError('video.unreadable', `ffmpeg: ${lastLine(r.stderr) || `exit ${r.code}`}`);
  if (k < unique.length) throw new VideoError('video.unreadable', `ffmpeg returned ${k} of ${unique.length} frames (the clip is shorter than it says, or damaged)`);
  const encoded = new Map<number, Uint8Array>();
  for (const [i, p] of tiles) encoded.set(i, await p);
  return { frames: o.indices.map((i) => encoded.get(i)!), frameIndices: o.indices };
}
