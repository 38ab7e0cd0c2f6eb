/**
 * Video clips: probe with ffprobe, decode only the chosen frames with ONE ffmpeg process per clip (a
 * `select` filter over the frame numbers, raw RGB on stdout, read frame by frame so memory stays at one
 * frame), resize each to 448×448 through the compute module's PIL-matching resize, encode as tiles.
 * A hung ffmpeg/ffprobe is killed after the timeout. Every failure is a VideoError with a reason.
 */
import { spawn } from 'node:child_process';
import { MediaError } from './errors.js';
import { findBinary } from '../compute/ffmpeg.js';
import { resizeRgb, cutTiles, encodeTile } from '../compute/cpu.js';
import type { TiledVideo } from '../core/model.js';

export class VideoError extends MediaError {}

export interface VideoProbe { frames: number; fps: number; duration: number; width: number; height: number; codec: string }

interface Run { stdout: Buffer; stderr: string; code: number | null; timedOut: boolean }

/** Run a binary with a timeout, collecting output (or streaming stdout to `onData`). */
function run(bin: string, args: string[], timeoutMs: number, onData?: (b: Buffer) => void): Promise<Run> {
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
    child.stdout.on('data', (d: Buffer) => (onData ? onData(d) : out.push(d)));
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

/** The ffmpeg arguments that decode exactly `indices` (sorted, unique) as raw RGB at native size. */
export function frameDecodeArgs(path: string, indices: number[], backend: 'cpu' | 'cuda' = 'cpu', codec = 'h264'): string[] {
  const select = `select='${indices.map((i) => `eq(n\\,${i})`).join('+')}'`;
  if (backend === 'cuda') {
    const cuvid = { h264: 'h264_cuvid', hevc: 'hevc_cuvid', vp9: 'vp9_cuvid', av1: 'av1_cuvid', mpeg4: 'mpeg4_cuvid', vp8: 'vp8_cuvid' }[codec];
    if (!cuvid) throw new VideoError('video.unsupported', `no NVDEC decoder for codec ${codec}`);
    return ['-hide_banner', '-loglevel', 'error', '-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-c:v', cuvid, '-i', path,
      '-vf', `${select},scale_cuda=448:448:interp_algo=bicubic,hwdownload,format=nv12,format=rgb24`, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  }
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', path, '-vf', select, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
}

export interface TileVideoOptions { indices: number[]; encoding: 'jpeg' | 'png' | 'raw'; quality: number; timeoutMs: number; probe: VideoProbe; env?: NodeJS.ProcessEnv }

/** Decode the frames at `indices` (repeats allowed) with one ffmpeg process and encode them as 448×448 tiles. */
export async function tileVideo(path: string, o: TileVideoOptions): Promise<TiledVideo> {
  const unique = [...new Set(o.indices)].sort((a, b) => a - b);
  const { width, height } = o.probe;
  const frameBytes = width * height * 3;
  const ffmpeg = findBinary('ffmpeg', o.env).path;
  const tiles = new Map<number, Promise<Buffer>>();
  // Chunks are gathered until a whole frame is there, then joined once (no quadratic re-copying).
  let chunks: Buffer[] = [];
  let have = 0;
  let k = 0;
  const onData = (d: Buffer) => {
    chunks.push(d);
    have += d.length;
    while (have >= frameBytes && k < unique.length) {
      const all = Buffer.concat(chunks, have);
      const frame = Buffer.from(all.subarray(0, frameBytes));
      chunks = have > frameBytes ? [Buffer.from(all.subarray(frameBytes))] : [];
      have -= frameBytes;
      const idx = unique[k++];
      tiles.set(idx, resizeRgb({ data: frame, width, height }, 448, 448).then((a) => encodeTile(cutTiles(a, 1, 1, 448)[0], 448, o)));
    }
  };
  const r = await run(ffmpeg, frameDecodeArgs(path, unique), o.timeoutMs, onData);
  if (r.timedOut) throw new VideoError('video.timeout', `ffmpeg did not finish in ${o.timeoutMs} ms (killed)`);
  if (r.code !== 0) throw new VideoError('video.unreadable', `ffmpeg: ${lastLine(r.stderr) || `exit ${r.code}`}`);
  if (k < unique.length) throw new VideoError('video.unreadable', `ffmpeg returned ${k} of ${unique.length} frames (the clip is shorter than it says, or damaged)`);
  const encoded = new Map<number, Buffer>();
  for (const [i, p] of tiles) encoded.set(i, await p);
  return { frames: o.indices.map((i) => encoded.get(i)!), frameIndices: o.indices };
}
