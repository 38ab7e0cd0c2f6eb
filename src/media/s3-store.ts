/**
 * An image directory in a bucket (`imageStore: {type: dir, path: s3://bucket/images/}`): the same layouts as
 * a local directory — a file named by the SHA-1 of the image URL with any known extension, flat or in a
 * 2-character subdirectory; a plain file name as it is; or the file a manifest names. The extension is
 * found with one ListObjectsV2 of the hash as prefix (a page of a few keys, never a listing of the whole
 * directory), then the object is streamed under the size limit. The SDK tries once: retries, the deadline
 * and the concurrency are the store's (image-store.ts), as for an http store.
 */
import type { Readable } from 'node:stream';
import { describeS3Error, httpStatus, isMissingObject, parseS3Url, s3Client, sdk } from '../sources/s3.js';
import { EXTENSIONS, urlKey, type FetchOnce } from './image-store.js';
import { MediaError } from './errors.js';

export async function s3ImageFetcher(dirUrl: string, manifest: Map<string, string> | null): Promise<FetchOnce> {
  const { bucket, key } = parseS3Url(dirUrl);
  const prefix = key && !key.endsWith('/') ? `${key}/` : key;
  const where = `s3://${bucket}/${prefix}`;
  const client = await s3Client({ maxAttempts: 1 });
  const { GetObjectCommand, ListObjectsV2Command } = await sdk();

  /** The key of the first known extension under `stem` (one page of keys that start with it), or null. */
  const probe = async (stem: string, signal: AbortSignal): Promise<{ key: string; size: number } | null> => {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: stem, MaxKeys: 64 }), { abortSignal: signal });
    const found = new Map((page.Contents ?? []).map((o) => [o.Key ?? '', o.Size ?? 0]));
    for (const ext of EXTENSIONS) if (found.has(stem + ext)) return { key: stem + ext, size: found.get(stem + ext)! };
    return null;
  };

  /** The object's bytes, or null when it does not exist. */
  const get = async (k: string, url: string, maxBytes: number, signal: AbortSignal): Promise<Uint8Array | null> => {
    let res;
    try {
      res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }), { abortSignal: signal });
    } catch (e) {
      if (isMissingObject(e)) return null;
      throw e;
    }
    const body = res.Body as Readable | undefined;
    if ((res.ContentLength ?? 0) > maxBytes) {
      body?.destroy();
      throw new MediaError('image.too_large', `${url}: s3://${bucket}/${k}: ${res.ContentLength} bytes > images.maxBytes ${maxBytes}`);
    }
    if (!body) return new Uint8Array(0);
    const stop = () => body.destroy(new Error('deadline passed'));
    signal.addEventListener('abort', stop, { once: true });
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const c of body as AsyncIterable<Buffer>) {
        n += c.length;
        if (n > maxBytes) throw new MediaError('image.too_large', `${url}: s3://${bucket}/${k}: more than images.maxBytes ${maxBytes} bytes`);
        chunks.push(c);
      }
    } catch (e) {
      body.destroy();
      if (e instanceof MediaError) throw e;
      throw Object.assign(new Error(`body cut after ${n} of ${res.ContentLength ?? '?'} bytes (${(e as Error).message})`), { cause: e });
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (res.ContentLength !== undefined && n !== res.ContentLength) throw new Error(`body ended after ${n} of ${res.ContentLength} bytes`);
    return Buffer.concat(chunks);
  };

  const find = async (url: string, maxBytes: number, signal: AbortSignal): Promise<Uint8Array | null> => {
    if (manifest) {
      const file = manifest.get(url);
      return file ? get(prefix + file, url, maxBytes, signal) : null;
    }
    // A plain file name (MMC4's image_name) as it is; a URL by the SHA-1 of the URL, flat or in a subdirectory.
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.includes('..')) {
      const bytes = await get(prefix + url, url, maxBytes, signal);
      if (bytes) return bytes;
    }
    const h = urlKey(url);
    for (const stem of [prefix + h, `${prefix}${h.slice(0, 2)}/${h}`]) {
      const hit = await probe(stem, signal);
      if (!hit) continue;
      if (hit.size > maxBytes) throw new MediaError('image.too_large', `${url}: s3://${bucket}/${hit.key}: ${hit.size} bytes > images.maxBytes ${maxBytes}`);
      const bytes = await get(hit.key, url, maxBytes, signal);
      if (bytes) return bytes; // gone since the listing: keep looking
    }
    return null;
  };

  return async (url, timeoutMs, maxBytes) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    let bytes: Uint8Array | null;
    try {
      bytes = await find(url, maxBytes, deadline);
    } catch (e) {
      if (e instanceof MediaError) throw e;
      // Whether the deadline passed decides timeout vs. failure — not the error's name or text.
      if (deadline.aborted) throw new MediaError('image.timeout', `${url}: ${where}: no answer in ${timeoutMs} ms`, { cause: e, retryable: true });
      const status = httpStatus(e);
      const retryable = status === undefined || status >= 500 || status === 429;
      throw new MediaError('image.fetch_failed', `${url}: ${where}: ${describeS3Error(e)}`, { cause: e, retryable });
    }
    if (!bytes) throw new MediaError('image.missing', `not in the image directory ${where}: ${url}`);
    return bytes;
  };
}
