/**
 * Paths that are URLs. shardloom reads s3:// inputs (sources/s3.ts) and otherwise local (or mounted) paths
 * only so far; any other URL given as an input, and any URL as an image store or an output, is refused up
 * front with what to do instead — not reported later as a local path that "matched nothing".
 */

/** The scheme of a URL-like path (`s3`, `gs`, `hf`, `https`…), or null for a local path. */
export function urlScheme(p: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(p);
  return m ? m[1].toLowerCase() : null;
}

const MOUNT: Record<string, string> = {
  s3: 'mount the bucket (mountpoint-s3, s3fs or goofys; also for MinIO, Ceph and R2) or copy the objects to a local or shared directory',
  gs: 'mount the bucket with gcsfuse, or copy the objects to a local or shared directory',
  hf: 'download the dataset (huggingface-cli download … --local-dir DIR) and give that directory',
  http: 'download the files first and give their local paths',
  https: 'download the files first and give their local paths',
};

/** Why a URL cannot be used where a path is expected, and what to do instead. */
export function unsupportedUrl(p: string, what: string): string | null {
  const scheme = urlScheme(p);
  if (!scheme) return null;
  return `"${p}": ${scheme}:// ${what} are not supported yet — shardloom reads and writes local or mounted paths; ${MOUNT[scheme] ?? 'copy the data to a local or shared directory'}, and give that path`;
}
