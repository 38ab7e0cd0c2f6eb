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
import { expandPaths, splitUnits, type InputUnit } from './units.js';
import { isS3Url } from './s3.js';
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
  documents(): AsyncIterable<Document>;
}

export interface OpenContext { rank: number; worldSize: number; rejects: Rejects; signal: AbortSignal; log: Logger; stats?: Stats }

/**
 * Refuse URLs where local paths are expected — inputs other than s3://, and image-store paths — naming the key and its line.
 * Called before anything is written (a run's output directory included).
 */
export function refuseUrls(cfg: ResolvedConfig): void {
  for (const [i, src] of cfg.sources.entries()) {
    for (const [j, p] of src.paths.entries()) {
      const why = isS3Url(p) ? null : unsupportedUrl(p, 'inputs'); // s3:// inputs are read (sources/s3.ts)
      if (why) throw new ShardloomError('CONFIG_INVALID', `${keyLocation(cfg, ['sources', i, 'paths', j])}: sources[${i}].paths[${j}]: ${why}`);
    }
    const store = 'imageStore' in src ? src.imageStore : undefined;
    const why = store && store.type !== 'http' && store.path ? unsupportedUrl(store.path, 'image stores') : null;
    if (why) throw new ShardloomError('CONFIG_INVALID', `${keyLocation(cfg, ['sources', i, 'imageStore', 'path'])}: sources[${i}].imageStore.path: ${why} (an http image store fetches images by their URLs)`);
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
    // An object is read whole from a spool file, so ranks split s3 inputs by objects only.
    const parts = await splitUnits(units, ctx.worldSize, (u) => (isS3Url(u.path) ? null : reader.pieces?.(u, src)));
    const mine = assignUnits(parts, ctx.rank, ctx.worldSize);
    const sctx = sourceContext(src.name, ctx);
    out.push({ name: src.name, kind: src.kind, weight: src.weight, units: mine, documents: () => readUnits(reader, src, mine, sctx) });
  }
  return out;
}
