/**
 * Inputs that are URLs (s3:// objects, http(s):// files): one place for readers and unit expansion to ask
 * whether a path is remote, download it to a spool file, and describe a failed download.
 */
import { describeS3Error, isMissingObject, isS3Url, spoolObject } from './s3.js';
import { HttpInputError, isHttpUrl, spoolHttp } from './http-input.js';

export { removeSpooled } from './s3.js';

/** True for an input read through a spool file. */
export const isRemoteInput = (p: string): boolean => isS3Url(p) || isHttpUrl(p);

/** Download a remote input to a local spool file (see `spoolObject`, `spoolHttp`). */
export const spoolRemote = (url: string, signal: AbortSignal): Promise<string> => (isHttpUrl(url) ? spoolHttp(url, signal) : spoolObject(url, signal));

/** True when the download failed because the object or file does not exist (404; an S3 NoSuchKey). */
export function isMissingRemote(e: unknown): boolean {
  return e instanceof HttpInputError ? e.status === 404 || e.status === 410 : isMissingObject(e);
}

/** What a reject says about a failed download. */
export function describeRemoteError(url: string, e: unknown): string {
  return isHttpUrl(url) ? `cannot fetch the URL: ${(e as Error)?.message ?? String(e)}` : `cannot fetch the object: ${describeS3Error(e)}`;
}
