/**
 * The media stage for video sources: probe each clip, draw its frame count and frames (seeded per clip —
 * by the file's bytes and the clip window, so the choice depends neither on processing order nor on how
 * the config names the file), decode them with one ffmpeg process and
 * have the compute backend tile them (`images.tileSize`, one frame queue shared by the clips in flight, so a
 * batched backend gets frames of several clips per batch). Clips in flight are bounded; output order is input
 * order. A broken clip rejects its document with ffmpeg's/ffprobe's/the backend's reason.
 */
import { ShardloomError } from '../core/errors.js';
import type { Document, MediaDocument, MediaSegment } from '../core/model.js';
import type { VideoSource } from '../config/types.js';
import type { Rejects } from '../core/rejects.js';
import type { Stats } from '../core/stats.js';
import { mapOrdered } from '../core/concurrency.js';
import { rngFor } from '../core/rng.js';
import { frameQueue, type ComputeBackend, type FrameQueue } from '../compute/index.js';
import { MediaError } from './errors.js';
import { drawFrameCount, sampleFrameIndices, type FrameSampling } from './frames.js';
import { clipDigest, probeVideo, tileVideo } from './video.js';

export interface VideoStageOptions {
  source: VideoSource;
  seed: number;
  /** Resizes and encodes the frames. */
  compute: ComputeBackend;
  /** Each frame becomes one tileSize × tileSize tile (`images.tileSize`). */
  tileSize: number;
  encoding: 'jpeg' | 'png' | 'raw';
  quality: number;
  concurrency: number;
  rejects: Rejects;
  stats: Stats;
}

export async function* videoStage(docs: AsyncIterable<Document>, o: VideoStageOptions): AsyncGenerator<MediaDocument> {
  const frames = frameQueue(o.compute);
  for await (const d of mapOrdered(docs, o.concurrency, (doc) => tileClipDocument(doc, o, frames))) if (d) yield d;
}

async function tileClipDocument(doc: Document, o: VideoStageOptions, frames: FrameQueue): Promise<MediaDocument | null> {
  const timeoutMs = o.source.timeoutSeconds * 1000;
  const segments: MediaSegment[] = [];
  for (const seg of doc.segments) {
    if (seg.type !== 'video') {
      if (seg.type === 'text') segments.push(seg);
      continue;
    }
    try {
      const digest = clipDigest(seg.path);
      digest.catch(() => {}); // a clip that cannot be read is ffprobe's reject, below
      const probe = await probeVideo(seg.path, { timeoutMs });
      // Seeded by the clip's bytes and window, not by the document id: ids hold the file's path relative to
      // the config, so the same clip named from a config elsewhere would get other frames.
      const window = seg.clip ? `@${seg.clip[0]},${seg.clip[1]}` : '';
      const rng = rngFor(o.seed, `video/${doc.source}/${await digest}${window}`);
      const n = drawFrameCount(o.source.minFrames, o.source.maxFrames, rng);
      const indices = sampleFrameIndices(n, probe.frames, {
        sample: o.source.sample as FrameSampling, fps: probe.fps, clip: seg.clip, rng, dropRepeated: o.source.dropRepeatedFrames,
      });
      if (indices.length === 0) throw new MediaError('video.empty', 'no frame selected (clip window outside the clip?)');
      segments.push({ type: 'video', video: await tileVideo(seg.path, { indices, frames, tileSize: o.tileSize, encoding: o.encoding, quality: o.quality, timeoutMs, probe }) });
      o.stats.inc('video.clips');
      o.stats.inc('video.frames', indices.length);
    } catch (e) {
      if (e instanceof ShardloomError) throw e; // the compute backend cannot go on: the run stops
      const reason = e instanceof MediaError ? e.reason : 'video.error';
      o.rejects.reject({ ...doc.provenance, reason, detail: (e as Error).message });
      return null;
    }
  }
  return { ...doc, segments };
}
