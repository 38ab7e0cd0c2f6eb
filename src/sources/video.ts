/**
 * Video sources: clip files with a sidecar caption (`clip.mp4` + `clip.txt`, or `clip.json` with `caption`
 * or `text`; id: the clip's path), or a JSONL manifest of `{video, caption, clip?: [start, end]}` (paths
 * relative to the manifest; id `manifest:line`). A document is one video segment then its caption; the
 * clip itself is opened only by the media stage, which samples and tiles its frames.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { VideoSource } from '../config/types.js';
import { type Draft, type Format, sourceReader } from './reader.js';
import { decodeUtf8, jsonlRecords } from './lines.js';

function clipDoc(path: string, caption: string, clip?: [number, number]): Draft {
  // The caption follows the frame lines after a newline (DESIGN.md).
  return { segments: [{ type: 'video', path, clip }, { type: 'text', text: '\n' + caption.trim() }] };
}

async function sidecarCaption(clipPath: string): Promise<string | null> {
  const stem = clipPath.replace(/\.[^./]+$/, '');
  if (existsSync(stem + '.txt')) return decodeUtf8(await readFile(stem + '.txt'));
  if (existsSync(stem + '.json')) {
    try {
      const j = JSON.parse((await readFile(stem + '.json', 'utf8')) || '{}') as { caption?: unknown; text?: unknown };
      const c = j.caption ?? j.text;
      return typeof c === 'string' ? c : null;
    } catch {
      return null;
    }
  }
  return null;
}

function validClip(c: unknown): [number, number] | string | undefined {
  if (c === undefined || c === null) return undefined;
  if (!Array.isArray(c) || c.length !== 2 || !c.every((x) => typeof x === 'number' && Number.isFinite(x))) return '"clip" must be [start, end] in seconds';
  if (c[0] < 0 || c[1] <= c[0]) return `"clip" [${c[0]}, ${c[1]}] is not a window (0 ≤ start < end)`;
  return [c[0], c[1]];
}

/** A clip file: one record, its sidecar caption. */
const files: Format<VideoSource, string | null> = {
  async *records(unit) {
    yield { location: 'file', id: unit.display, record: await sidecarCaption(unit.path) };
  },
  toDocument({ record: caption }, _cfg, ctx) {
    if (!caption || !caption.trim()) return { reason: 'caption.missing', detail: 'no sidecar caption (.txt, or .json with "caption")' };
    return clipDoc(ctx.unit.path, caption);
  },
};

const NO_VIDEO = { reason: 'video.missing', detail: 'no "video" path' };

const manifest: Format<VideoSource, Record<string, unknown>> = {
  records: (unit, _cfg, ctx) => jsonlRecords(unit, ctx, 1 << 20, { tooLong: () => 'unusable manifest line', invalidUtf8: 'unusable manifest line', notObject: NO_VIDEO }),
  toDocument({ record: rec }, _cfg, ctx) {
    if (typeof rec.video !== 'string' || !rec.video) return NO_VIDEO;
    if (typeof rec.caption !== 'string' || !rec.caption.trim()) return { reason: 'caption.missing', detail: 'no "caption"' };
    const clip = validClip(rec.clip);
    if (typeof clip === 'string') return { reason: 'video.bad_clip', detail: clip };
    const path = isAbsolute(rec.video) ? rec.video : join(dirname(ctx.unit.path), rec.video);
    if (!existsSync(path)) return { reason: 'video.missing', detail: `${rec.video} does not exist` };
    return clipDoc(path, rec.caption, clip);
  },
};

export const videoReader = sourceReader<VideoSource, 'files' | 'manifest'>({
  kind: 'video',
  formatOf(path, cfg) {
    return cfg.format === 'manifest' || (cfg.format !== 'files' && /\.(jsonl|ndjson)(\.(gz|zst))?$/i.test(path)) ? 'manifest' : 'files';
  },
  formats: { files, manifest },
});
