/**
 * Video sources: clip files with a sidecar caption (`clip.mp4` + `clip.txt`, or `clip.json` with
 * `caption`), or a JSONL manifest of `{video, caption, clip?: [start, end]}` (paths relative to the
 * manifest). A document is one video segment then its caption; the media stage samples and tiles frames.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Document } from '../core/model.js';
import type { VideoSource } from '../config/types.js';
import type { SourceReader } from './types.js';
import type { InputUnit } from './units.js';
import { decodeUtf8, fileBytes, splitLines, DecompressError } from './lines.js';

type RejectFn = (location: string, reason: string, detail?: string) => void;

function doc(unit: InputUnit, cfg: VideoSource, location: string, id: string, path: string, caption: string, clip?: [number, number]): Document {
  return {
    id,
    source: cfg.name,
    kind: 'video',
    // The caption follows the frame lines after a newline (DESIGN.md).
    segments: [{ type: 'video', path, clip }, { type: 'text', text: '\n' + caption.trim() }],
    provenance: { source: cfg.name, file: unit.display, location },
  };
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

export const videoReader: SourceReader<VideoSource> = {
  async *read(unit, cfg, ctx) {
    const reject: RejectFn = (location, reason, detail) => ctx.reject({ file: unit.display, location, reason, detail });
    const manifest = cfg.format === 'manifest' || (cfg.format !== 'files' && /\.(jsonl|ndjson)(\.(gz|zst))?$/i.test(unit.path));
    if (!manifest) {
      const caption = await sidecarCaption(unit.path);
      if (!caption || !caption.trim()) return reject('file', 'caption.missing', 'no sidecar caption (.txt, or .json with "caption")');
      yield doc(unit, cfg, 'file', unit.display, unit.path, caption);
      return;
    }
    try {
      for await (const line of splitLines(fileBytes(unit.path, ctx), 1 << 20)) {
        const loc = `line ${line.no}`;
        const str = line.tooLong ? null : decodeUtf8(line.bytes);
        if (str === null) { reject(loc, line.tooLong ? 'text.too_large' : 'text.invalid_utf8', 'unusable manifest line'); continue; }
        if (!str.trim()) continue;
        let rec: { video?: unknown; caption?: unknown; clip?: unknown };
        try {
          rec = JSON.parse(str);
        } catch (e) {
          reject(loc, 'json.malformed', (e as Error).message);
          continue;
        }
        if (typeof rec.video !== 'string' || !rec.video) { reject(loc, 'video.missing', 'no "video" path'); continue; }
        if (typeof rec.caption !== 'string' || !rec.caption.trim()) { reject(loc, 'caption.missing', 'no "caption"'); continue; }
        const clip = validClip(rec.clip);
        if (typeof clip === 'string') { reject(loc, 'video.bad_clip', clip); continue; }
        const path = isAbsolute(rec.video) ? rec.video : join(dirname(unit.path), rec.video);
        if (!existsSync(path)) { reject(loc, 'video.missing', `${rec.video} does not exist`); continue; }
        yield doc(unit, cfg, loc, `${unit.display}:${line.no}`, path, rec.caption, clip);
      }
    } catch (e) {
      reject('file', e instanceof DecompressError ? `file.${e.compression}_corrupt` : 'file.read_error', (e as Error).message);
    }
  },
};
