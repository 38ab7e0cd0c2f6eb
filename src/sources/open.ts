/**
 * Open the configured sources: expand their paths into input units (with several ranks, a big file is split
 * into parts its reader can read alone: see `splitUnits`), take this rank's share, and give
 * each source a lazy document stream over its units, read by its kind's reader from the registry below.
 * A source with no input at all is a setup error; a listed file that is missing is a reject.
 */
import { keyLocation } from '../config/load.js';
import { unsupportedUrl } from '../core/locations.js';
import type { Document, SourceKind } from '../core/model.js';
import type { ResolvedConfig, Source } from '../config/types.js';
import type { Logger } from '../core/log.js';
import type { Rejects } from '../core/rejects.js';
import type { Stats } from '../core/stats.js';
import { ShardloomError } from '../core/errors.js';
import { expandBraces, expandPaths, splitUnits, type InputUnit } from './units.js';
import { isS3Url } from './s3.js';
import { httpGlobProblem, isHttpUrl } from './http-input.js';
import { isRemoteInput } from './remote.js';
import { assignUnits } from './assign.js';
import { readUnits, sourceContext, type SourceReader } from './reader.js';
import { textReader } from './text.js';
import { captionReader } from './caption.js';
import { interleavedReader } from './interleaved.js';
import { videoReader } from './video.js';

/** One reader per source kind; a kind without a reader is a compile error here. */
export const readers = {
  text: textReader,
  caption: captionReader,
  interleaved: interleavedReader,
  video: videoReader,
} satisfies Record<SourceKind, SourceReader<never>>;

export interface OpenSource {
  name: string;
  kind: SourceKind;
  weight: number;
  units: InputUnit[];
  /** The source's documents, read from the start; `repeat` (a cycled source's next pass): rejects and reads are not recorded again. */
  documents(repeat?: boolean): AsyncIterable<Document>;
}

export interface OpenContext { rank: number; worldSize: number; rejects: Rejects; signal: AbortSignal; log: Logger; stats?: Stats }

/**
 * Refuse URLs that cannot be read where they are written — inputs other than s3:// and http(s):// (and an
 * http(s) URL with a glob character), image stores other than a local path or an s3:// directory, a
 * manifest other than a local path, an s3:// object or an http(s):// URL — naming the key and its line.
 * Called before anything is written (a run's output directory included).
 */
export function refuseUrls(cfg: ResolvedConfig): void {
  const refuse = (key: (string | number)[], why: string) => {
    throw new ShardloomError('CONFIG_INVALID', `${keyLocation(cfg, key)}: ${key.map((k, n) => (typeof k === 'number' ? `[${k}]` : n ? `.${k}` : k)).join('')}: ${why}`);
  };
  for (const [i, src] of cfg.sources.entries()) {
    for (const [j, p] of src.paths.entries()) {
      // s3:// (sources/s3.ts) and http(s):// (sources/http-input.ts) inputs are read; a web server has no listing.
      const why = isHttpUrl(p) ? (expandBraces(p).map(httpGlobProblem).find(Boolean) ?? null) : isS3Url(p) ? null : unsupportedUrl(p, 'inputs');
      if (why) refuse(['sources', i, 'paths', j], why);
    }
    const store = 'imageStore' in src ? src.imageStore : undefined;
    if (!store) continue;
    const cacheWhy = store.cacheDir ? unsupportedUrl(store.cacheDir, 'image caches') : null; // written: local only
    if (cacheWhy) refuse(['sources', i, 'imageStore', 'cacheDir'], cacheWhy);
    if (store.type === 'http') continue;
    if (store.path && !(store.type === 'dir' && isS3Url(store.path))) {
      const why = unsupportedUrl(store.path, store.type === 'tar' ? 'tar image stores' : 'image stores');
      if (why) refuse(['sources', i, 'imageStore', 'path'], why);
    }
    const why = store.manifest && !isRemoteInput(store.manifest) ? unsupportedUrl(store.manifest, 'manifests') : null;
    if (why) refuse(['sources', i, 'imageStore', 'manifest'], why);
  }
}

export async function openSources(cfg: ResolvedConfig, ctx: OpenContext): Promise<OpenSource[]> {
  const out: OpenSource[] = [];
  for (const [i, src] of cfg.sources.entries()) {
    const reader = (readers as Partial<Record<string, SourceReader<never>>>)[src.kind] as SourceReader<Source> | undefined;
    if (!reader) throw new ShardloomError('CONFIG_INVALID', `sources[${i}].kind: source kind "${src.kind}" is not supported yet`);
    const { units, missing, emptyGlobs } = await expandPaths(src.name, src.paths, cfg.baseDir);
    if (units.length === 0) {
      throw new ShardloomError(
        'INPUT_NOT_FOUND',
        `sources[${i}] ("${src.name}"): no input files — ${[...missing, ...emptyGlobs].map((p) => `"${p}"`).join(', ')} matched nothing (paths are relative to ${cfg.baseDir})`,
      );
    }
    for (const m of missing) {
      ctx.stats?.incSource(src.name, 'rejects.read'); // a record that never became a document (stats' records.read)
      ctx.rejects.reject({ source: src.name, file: m, location: 'file', reason: 'file.missing', detail: 'listed in paths but does not exist' });
    }
    for (const g of emptyGlobs) ctx.log.warn(`source "${src.name}": pattern "${g}" matched no file`);
    // An object or URL is read whole from a spool file, so ranks split remote inputs by whole files only.
    const parts = await splitUnits(units, ctx.worldSize, (u) => (isRemoteInput(u.path) ? null : reader.pieces?.(u, src)));
    const mine = assignUnits(parts, ctx.rank, ctx.worldSize);
    const sctx = sourceContext(src.name, ctx);
    const again = () => sourceContext(src.name, { ...ctx, rejects: ctx.rejects.repeatPass(), stats: ctx.stats?.repeatPass() });
    out.push({ name: src.name, kind: src.kind, weight: src.weight, units: mine, documents: (repeat = false) => readUnits(reader, src, mine, repeat ? again() : sctx) });
  }
  return out;
}
