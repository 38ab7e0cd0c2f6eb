/**
 * Paths that are URLs. shardloom reads s3:// and http(s):// inputs (sources/s3.ts, sources/http-input.ts),
 * s3:// image-store directories and manifests (media/s3-store.ts), and otherwise local (or mounted) paths.
 * Any other URL is refused up front with what to do instead — not reported later as a local path that
 * "matched nothing".
 */

/** The scheme of a URL-like path (`s3`, `gs`, `hf`, `https`…), or null for a local path. */
export function urlScheme(p: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(p);
  return m ? m[1].toLowerCase() : null;
}

/** What to do instead, by scheme (for what is read: inputs, image stores, manifests). */
const READ_ROUTE: Record<string, string> = {
  s3: 'mount the bucket (mountpoint-s3, s3fs or goofys) or copy the objects to a local or shared directory, and give that path',
  gs: 'read the bucket through GCS\'s S3-interoperable endpoint — the same path as s3://…, with AWS_ENDPOINT_URL=https://storage.googleapis.com and an HMAC key in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY — or mount it with gcsfuse and give the mount path',
  hf: 'give each file\'s https://huggingface.co/datasets/ORG/NAME/resolve/main/FILE URL, or download the dataset (huggingface-cli download … --local-dir DIR) and give that directory',
  http: 'download the files first and give their local paths',
  https: 'download the files first and give their local paths',
};

/** What each kind of path can be, as the message says it. */
const READS: Record<string, string> = {
  inputs: 'shardloom reads local or mounted paths, s3:// and http(s):// URLs',
  'image stores': 'an image store is a local or mounted directory or tar, an s3:// directory (type: dir), or type: http',
  'tar image stores': 'a tar image store is a local or mounted file (an s3:// directory of images is read as type: dir)',
  manifests: 'a manifest is a local or mounted file, an s3:// object or an http(s):// URL',
};

/** Why a URL cannot be used where it is written, and what to do instead. */
export function unsupportedUrl(p: string, what: string): string | null {
  const scheme = urlScheme(p);
  if (!scheme) return null;
  const reads = READS[what];
  if (reads) return `"${p}": ${scheme}:// ${what} are not supported — ${reads}; ${READ_ROUTE[scheme] ?? 'copy the data to a local or shared directory and give that path'}`;
  // Outputs (and anything else written): local or mounted paths (run.ts takes s3:// outputs before asking here).
  const write = scheme === 'gs' ? 'write through GCS\'s S3-interoperable endpoint (s3://bucket/… with AWS_ENDPOINT_URL=https://storage.googleapis.com and an HMAC key), or mount the bucket with gcsfuse and give the mount path'
    : scheme === 's3' ? 'mount the bucket (mountpoint-s3, s3fs or goofys) and give the mount path' : 'write to a local directory and upload it';
  return `"${p}": ${scheme}:// ${what} are not supported yet — ${write}`;
}
