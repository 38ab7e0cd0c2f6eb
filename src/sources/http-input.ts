/**
 * `http://` and `https://` inputs: read-only, one URL per file (a web server has no listing, so no globs;
 * `{a,b}` and `{000..009}` ranges are expanded before). Like s3:// objects, a URL is downloaded to a local
 * spool file (streamed: memory stays bounded) and read from there under its URL. A download that fails with
 * a 5xx, a 429, a reset or a cut body is tried again after a back-off; one that sends nothing for the timeout
 * fails. No HEAD request: a URL's size is unknown until it is read, so ranks split these inputs by count.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { urlScheme } from '../core/locations.js';
import { removeSpooled, spoolFile } from './s3.js';

export function isHttpUrl(p: string): boolean {
  const s = urlScheme(p);
  return s === 'http' || s === 'https';
}

/** The URL as ids and rejects show it: without a `user:password@` part. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1');
}

/** Why an http(s) path cannot be read as written (not a URL, or a glob character in its path), or null. */
export function httpGlobProblem(url: string): string | null {
  if (!URL.canParse(url)) return `"${url}": not a valid URL`;
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/, '');
  const bad = /[*[\]{}]/.exec(path);
  if (!bad) return null;
  return `"${url}": "${bad[0]}" in an http(s) URL — a web server cannot be listed, so http(s) inputs take no globs; name each file (a {a,b} list or a {000..009} range is expanded)`;
}

/** Settings from the environment: idle timeout per request, retries after the first try, first back-off. */
function settings() {
  const num = (name: string, dflt: number, min: number) => {
    const v = Number(process.env[name]);
    return process.env[name] !== undefined && Number.isFinite(v) && v >= min ? v : dflt;
  };
  return { timeoutMs: num('SHARDLOOM_HTTP_TIMEOUT_MS', 60_000, 1), retries: num('SHARDLOOM_HTTP_RETRIES', 3, 0), backoffMs: num('SHARDLOOM_HTTP_BACKOFF_MS', 500, 0) };
}

/** A failed download: `status` when the server answered; `retryable` for 5xx, 429 and network failures. */
export class HttpInputError extends Error {
  constructor(message: string, readonly status: number | undefined, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpInputError';
  }
}

/** Download a URL to a spool file, with retries; throws the last HttpInputError (the partial file removed). */
export async function spoolHttp(url: string, signal: AbortSignal): Promise<string> {
  const o = settings();
  const base = new URL(url).pathname.split('/').pop() ?? '';
  let name = base;
  try { name = decodeURIComponent(base); } catch { /* a stray %: keep it as written */ }
  name = name.replace(/[/\\\0]/g, '_');
  const local = spoolFile(name);
  let last: unknown;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0) await sleep(Math.min(30_000, o.backoffMs * 2 ** (attempt - 1)), signal);
    try {
      await downloadOnce(url, local, o.timeoutMs, signal);
      return local;
    } catch (e) {
      last = e;
      if (signal.aborted || !(e instanceof HttpInputError && e.retryable)) break;
    }
  }
  await removeSpooled(local);
  throw last;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** undici's errors say "fetch failed" / "terminated" and keep the socket's reason in `cause`. */
function whyFailed(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err.cause ? `: ${[err.cause.code, err.cause.message].filter(Boolean).join(' ')}` : '';
  return `${err.message}${cause}`;
}

/**
 * One GET into `local` (truncated first). The timeout is an idle limit: no headers, or no body bytes, for
 * that long fails the try. `Accept-Encoding: identity`: the file's bytes as stored (a `.gz` stays gzip).
 */
async function downloadOnce(url: string, local: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => { clearTimeout(timer); timer = setTimeout(() => idle.abort(), timeoutMs); };
  const both = AbortSignal.any([signal, idle.signal]);
  const fail = (e: unknown, what: string) =>
    signal.aborted ? e
      : idle.signal.aborted ? new HttpInputError(`${what}: no data for ${timeoutMs} ms`, undefined, true, { cause: e })
        : new HttpInputError(`${what}: ${whyFailed(e)}`, undefined, true, { cause: e });
  // fetch refuses a URL with credentials: `user:password@` becomes Basic authentication.
  const target = new URL(url);
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (target.username || target.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
    target.username = target.password = '';
  }
  arm();
  try {
    let res: Response;
    try {
      res = await fetch(target, { signal: both, redirect: 'follow', headers });
    } catch (e) {
      throw fail(e, 'no answer');
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new HttpInputError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, res.status, res.status >= 500 || res.status === 429);
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    const declared = Number.isSafeInteger(length) && !res.headers.get('content-encoding') ? length : null;
    let n = 0;
    const count = new Transform({ transform(chunk: Buffer, _enc, done) { n += chunk.length; arm(); done(null, chunk); } });
    const got = () => `${n} of ${declared ?? 'an unknown number of'} bytes`;
    try {
      const body = res.body ? Readable.fromWeb(res.body as WebReadableStream) : Readable.from([]);
      await pipeline(body, count, createWriteStream(local), { signal: both });
    } catch (e) {
      throw fail(e, `body cut after ${got()}`);
    }
    if (declared !== null && n !== declared) throw new HttpInputError(`body ended after ${got()}`, undefined, true);
  } catch (e) {
    await rm(local, { force: true });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
