/**
 * Image stores: resolve an image URL to its bytes. Interleaved web data (OBELICS, MMC4) names images by
 * URL; a build keeps them in a local directory or tar (file named by the SHA-1 of the URL, or listed in a
 * manifest URL → file), in an s3:// directory (the same layouts: media/s3-store.ts), or fetches them over
 * HTTP(S). The remote stores (http, s3://) share bounded concurrency, timeouts, retries with back-off, a size
 * limit, an on-disk cache, one request per URL at a time and a bounded memory of the URLs that failed.
 * A manifest may be local, s3:// or http(s)://.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { MediaError } from './errors.js';
import { indexTar, type TarIndex } from './tar-index.js';
import { decodeUtf8, fileBytes, splitLines } from '../sources/lines.js';
import { describeRemoteError, isRemoteInput, removeSpooled, spoolRemote } from '../sources/remote.js';
import { isS3Url } from '../sources/s3.js';

export interface ImageStore {
  get(url: string): Promise<Uint8Array>;
  /** Gets the store serves at once (http: `imageStore.concurrency`); a caller keeps this many pending to use it. */
  readonly concurrency?: number;
}

export interface ImageStoreConfig {
  type: 'dir' | 'tar' | 'http';
  path?: string;
  keyBy?: 'sha1' | 'manifest';
  manifest?: string;
  concurrency?: number;
  timeoutSeconds?: number;
  retries?: number;
  cacheDir?: string;
}

export const urlKey = (url: string) => createHash('sha1').update(url).digest('hex');
export const EXTENSIONS = ['', '.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif'];

export async function createImageStore(cfg: ImageStoreConfig, maxBytes: number): Promise<ImageStore> {
  const manifest = cfg.keyBy === 'manifest' ? await loadManifest(requirePath(cfg.manifest, 'manifest')) : null;
  if (cfg.type === 'dir' && isS3Url(cfg.path ?? '')) {
    const { s3ImageFetcher } = await import('./s3-store.js'); // loads the AWS SDK only for s3:// stores
    return remoteStore(cfg, maxBytes, await s3ImageFetcher(cfg.path!, manifest));
  }
  if (cfg.type === 'dir') return dirStore(requirePath(cfg.path, 'path'), manifest, maxBytes);
  if (cfg.type === 'tar') return tarStore(await indexTar(requirePath(cfg.path, 'path')), requirePath(cfg.path, 'path'), manifest, maxBytes);
  return remoteStore(cfg, maxBytes, fetchOnce);
}

function requirePath(p: string | undefined, key: string): string {
  if (!p) throw new MediaError('config', `imageStore.${key} is required for this store type`);
  return p;
}

/**
 * URL → file name, from a JSONL manifest of {"url", "file"} lines (held in memory: one entry per image). A
 * remote manifest is downloaded to a spool file first; one that cannot be fetched is a setup error.
 */
async function loadManifest(path: string): Promise<Map<string, string>> {
  if (!isRemoteInput(path)) return readManifest(path);
  const local = await spoolRemote(path, new AbortController().signal).catch((e: unknown) => {
    throw new MediaError('config', `manifest "${path}": ${describeRemoteError(path, e)}`, { cause: e });
  });
  try {
    return await readManifest(local);
  } finally {
    await removeSpooled(local);
  }
}

async function readManifest(path: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for await (const line of splitLines(fileBytes(path))) {
    const s = decodeUtf8(line.bytes)?.trim();
    if (!s) continue;
    try {
      const r = JSON.parse(s) as { url?: unknown; file?: unknown };
      if (typeof r.url === 'string' && typeof r.file === 'string') m.set(r.url, r.file);
    } catch {
      /* a bad manifest line only makes its image missing */
    }
  }
  return m;
}

function dirStore(dir: string, manifest: Map<string, string> | null, maxBytes: number): ImageStore {
  return {
    async get(url) {
      const candidates = manifest
        ? [manifest.get(url)].filter((x): x is string => !!x).map((f) => join(dir, f))
        : [
            // A plain file name (MMC4's image_name) is looked up as it is; a URL by the SHA-1 of the URL.
            ...(/^[a-z][a-z0-9+.-]*:/i.test(url) || url.includes('..') ? [] : [join(dir, url)]),
            ...EXTENSIONS.flatMap((e) => [join(dir, urlKey(url) + e), join(dir, urlKey(url).slice(0, 2), urlKey(url) + e)]),
          ];
      for (const p of candidates) {
        const st = await stat(p).catch(() => null);
        if (!st?.isFile()) continue;
        if (st.size > maxBytes) throw new MediaError('image.too_large', `${p}: ${st.size} bytes > images.maxBytes ${maxBytes}`);
        return readFile(p);
      }
      throw new MediaError('image.missing', `not in the image directory ${dir}: ${url}`);
    },
  };
}

function tarStore(index: TarIndex, path: string, manifest: Map<string, string> | null, maxBytes: number): ImageStore {
  return {
    async get(url) {
      const entry = manifest ? index.byName.get(manifest.get(url) ?? '') : index.byStem.get(urlKey(url));
      if (!entry) throw new MediaError('image.missing', `not in the image tar ${path}: ${url}`);
      if (entry.size > maxBytes) throw new MediaError('image.too_large', `${entry.name}: ${entry.size} bytes > images.maxBytes ${maxBytes}`);
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(entry.size);
        await fh.read(buf, 0, entry.size, entry.offset);
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}

/**
 * Failed URLs a remote store remembers (for the life of the store, i.e. one run): past this many the oldest
 * is forgotten, and fetched again if it is cited again. An entry is the URL and the error's reason and
 * message: measured 45 MB of heap at the bound for 100-character URLs.
 */
export const FAILED_URLS_KEPT = 100_000;

/**
 * One try at an image under one deadline. Every failure is a MediaError; `retryable` ones (timeouts, 5xx,
 * 429, resets) are tried again after a back-off.
 */
export type FetchOnce = (url: string, timeoutMs: number, maxBytes: number) => Promise<Uint8Array>;

interface FetchOptions {
  fetchOnce: FetchOnce;
  timeoutMs: number;
  retries: number;
  maxBytes: number;
  /** Runs one attempt in one of `concurrency` slots; back-offs wait outside. */
  slot: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * `concurrency` requests in flight. The limiter is the only bound: Node's fetch (undici's global agent)
 * keeps connections alive for 4 s and opens as many per host as it is asked for, so the limiter sizes its
 * pool too. Concurrent gets of one URL share one fetch; a URL that failed for good (after its retries) is
 * not asked for again in this run: later gets reject at once with the same reason and message, so a slow
 * host costs its timeouts once, not once per document that cites it.
 */
function remoteStore(cfg: ImageStoreConfig, maxBytes: number, fetchOnce: FetchOnce): ImageStore {
  const concurrency = cfg.concurrency ?? 16;
  const o: FetchOptions = { fetchOnce, timeoutMs: (cfg.timeoutSeconds ?? 20) * 1000, retries: cfg.retries ?? 2, maxBytes, slot: pLimit(concurrency) };
  const inFlight = new Map<string, Promise<Uint8Array>>();
  const failed = new Map<string, { reason: string; message: string }>(); // insertion order: oldest first
  const remember = (url: string, e: MediaError) => {
    failed.set(url, { reason: e.reason, message: e.message });
    if (failed.size > FAILED_URLS_KEPT) failed.delete(failed.keys().next().value!);
  };
  const load = async (url: string): Promise<Uint8Array> => {
    const cached = cfg.cacheDir ? join(cfg.cacheDir, urlKey(url)) : null;
    if (cached && existsSync(cached)) return readFile(cached);
    const bytes = await fetchWithRetry(url, o).catch((e: unknown) => { if (e instanceof MediaError) remember(url, e); throw e; });
    if (cached) {
      await mkdir(cfg.cacheDir!, { recursive: true });
      await writeFile(cached + '.tmp', bytes);
      await rename(cached + '.tmp', cached);
    }
    return bytes;
  };
  return {
    concurrency,
    get(url) {
      const known = failed.get(url);
      if (known) return Promise.reject(new MediaError(known.reason, known.message));
      let p = inFlight.get(url);
      if (!p) {
        p = load(url).finally(() => inFlight.delete(url));
        inFlight.set(url, p);
      }
      return p;
    },
  };
}

/**
 * Node's fetch puts a kept-alive socket back in its pool a few ticks after the body has ended; a slot handed
 * on before that makes the next request open a new connection (measured: 96 requests, 16 slots, 27
 * sockets). Handed on at the next turn of the event loop, the slot's request reuses the socket (16).
 */
const afterSocketIsFree = () => new Promise<void>((r) => setImmediate(r));

/** Every failure is a MediaError; a back-off waits outside the limiter, so it holds no request slot. */
async function fetchWithRetry(url: string, o: FetchOptions): Promise<Uint8Array> {
  let last: MediaError = new MediaError('image.fetch_failed', url);
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
    try {
      return await o.slot(() => o.fetchOnce(url, o.timeoutMs, o.maxBytes).finally(afterSocketIsFree));
    } catch (e) {
      last = e instanceof MediaError ? e : new MediaError('image.fetch_failed', `${url}: ${whyFailed(e)}`, { cause: e });
      if (!last.retryable) break;
    }
  }
  throw last;
}

/** undici's errors say "fetch failed" / "terminated" and keep the socket's reason in `cause`. */
function whyFailed(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err.cause ? `: ${[err.cause.code, err.cause.message].filter(Boolean).join(' ')}` : '';
  return `${err.message}${cause}`;
}

/**
 * One GET under one deadline for the headers and the whole body. Past the deadline: `image.timeout`. A
 * connection that fails or closes before the body is complete (reset, server gone, fewer bytes than the
 * Content-Length): `image.fetch_failed`. Both retryable; so are 5xx and 429.
 */
async function fetchOnce(url: string, timeoutMs: number, maxBytes: number): Promise<Uint8Array> {
  const deadline = AbortSignal.timeout(timeoutMs);
  // Whether the deadline passed decides timeout vs. failure — not the error's name or text.
  const fail = (e: unknown, timedOut: string, failed: string) =>
    deadline.aborted
      ? new MediaError('image.timeout', `${url}: ${timedOut}`, { cause: e, retryable: true })
      : new MediaError('image.fetch_failed', `${url}: ${failed}`, { cause: e, retryable: true });
  let res: Response;
  try {
    res = await fetch(url, { signal: deadline, redirect: 'follow' });
  } catch (e) {
    throw fail(e, `no answer in ${timeoutMs} ms`, whyFailed(e));
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new MediaError('image.fetch_failed', `${url}: HTTP ${res.status}`, { retryable: res.status >= 500 || res.status === 429 });
  }
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (length > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new MediaError('image.too_large', `${url}: ${length} bytes > images.maxBytes ${maxBytes}`);
  }
  // Content-Length counts the encoded body: compare it with what arrives only when there is no Content-Encoding.
  const declared = Number.isSafeInteger(length) && !res.headers.get('content-encoding') ? length : null;
  const chunks: Uint8Array[] = [];
  let n = 0;
  const got = () => `${n} of ${declared ?? 'an unknown number of'} bytes`;
  try {
    for await (const c of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      n += c.length;
      if (n > maxBytes) throw new MediaError('image.too_large', `${url}: more than images.maxBytes ${maxBytes} bytes`);
      chunks.push(c);
    }
  } catch (e) {
    if (e instanceof MediaError) throw e;
    throw fail(e, `body not complete in ${timeoutMs} ms (${got()})`, `connection closed after ${got()} (${whyFailed(e)})`);
  }
  if (declared !== null && n !== declared) throw new MediaError('image.fetch_failed', `${url}: body ended after ${got()}`, { retryable: true });
  return Buffer.concat(chunks);
}
