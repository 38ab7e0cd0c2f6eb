/**
 * WebDataset tars as img2dataset writes them: `{key}.jpg|png|webp|…`, `{key}.txt`, `{key}.json`, members of
 * one key adjacent. The key is everything up to the *first* dot of the member's basename (keys with dots
 * break readers that split at the last dot). Read as a stream: one sample in memory at a time. A tar that
 * cannot be read (or a .tgz that cannot be gunzipped) throws TarError, a `tar.unreadable` reject.
 */
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { extract } from 'tar-stream';
import { createGunzip } from 'node:zlib';

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif', 'bmp'];

/** The tar (or its gzip layer) is unreadable; samples before the problem were already yielded. */
export class TarError extends Error {}

export interface WdsSample {
  key: string;
  /** Member name of the first file of the sample, for provenance. */
  first: string;
  files: Map<string, Uint8Array>;
}

export function splitMemberName(name: string): { key: string; ext: string } | null {
  const base = posix.basename(name);
  const dot = base.indexOf('.');
  if (dot <= 0) return null;
  return { key: posix.join(posix.dirname(name), base.slice(0, dot)), ext: base.slice(dot + 1).toLowerCase() };
}

/** Samples of a tar, grouped by key (consecutive members with the same key). */
export async function* wdsSamples(path: string, maxMemberBytes: number): AsyncGenerator<WdsSample> {
  const ex = extract();
  const input = createReadStream(path);
  const gunzip = /\.(tgz|tar\.gz)$/.test(path) ? createGunzip() : null;
  (gunzip ? input.pipe(gunzip) : input).pipe(ex);
  // pipe() does not pass errors on: without these a broken .tgz would leave the extractor waiting forever.
  input.on('error', (e) => ex.destroy(e));
  gunzip?.on('error', (e) => ex.destroy(e));
  let cur: WdsSample | null = null;
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const parts = h.type === 'file' ? splitMemberName(h.name) : null;
      if (!parts || (h.size ?? 0) > maxMemberBytes) {
        for await (const _ of entry); // skipped (and an error while skipping is not waited on forever)
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if (cur && cur.key !== parts.key) {
        yield cur;
        cur = null;
      }
      if (!cur) cur = { key: parts.key, first: h.name, files: new Map() };
      cur.files.set(parts.ext, Buffer.concat(chunks));
    }
    if (cur) yield cur;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
    throw new TarError((e as Error).message, { cause: e });
  } finally {
    input.destroy();
  }
}
