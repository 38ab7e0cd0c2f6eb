/**
 * The reader base. A source kind picks a format for each file (from `format:` or the extension), and a
 * format fills two hooks: `records` — the raw records of one unit with their location (a JSONL line, a
 * Parquet row, a tar sample, a clip) — and `toDocument` — one record → its document(s), or a rejection.
 * This file owns the rest: the loop over units and records, the document's envelope (source, kind,
 * provenance), the abort check, the reject function, the per-source reject count, and the one place where
 * an error that stops a file becomes a reject (file.<compression>_corrupt, parquet.unreadable, …).
 * A format that can read part of a file (Parquet row groups, tar samples) also lists its pieces (`pieces`),
 * so that ranks can split a big file; its records hook then reads only `unit.part`.
 */
import type { Document, SourceKind } from '../core/model.js';
import type { Source } from '../config/types.js';
import type { Rejects } from '../core/rejects.js';
import type { Stats } from '../core/stats.js';
import type { Logger } from '../core/log.js';
import type { InputUnit, Piece } from './units.js';
import type { SourceContext, RejectFn, UnitContext, RawRecord, Draft, Rejection, Format } from './types.js';
import { ShardloomError } from '../core/errors.js';
import { DecompressError } from './lines.js';
import { ParquetFileError } from './parquet-rows.js';
import { TarError } from './webdataset.js';
import { describeRemoteError, isMissingRemote, isRemoteInput, removeSpooled, spoolRemote } from './remote.js';


/** A source kind's reader: one unit (a file or a part of one) → its documents, in file order. It never throws for bad data. */
export interface SourceReader<C extends Source = Source> {
  read(unit: InputUnit, cfg: C, ctx: SourceContext): AsyncIterable<Document>;
  /** The pieces a unit can be split into, in file order; null when it is read whole. Never throws. */
  pieces?(unit: InputUnit, cfg: C): Promise<Piece[] | null>;
}

export interface KindSpec<C extends Source, F extends string> {
  kind: SourceKind;
  /** The format of a file (from the source's `format:` or the extension); null when unknown. */
  formatOf(path: string, cfg: C): F | null;
  /** Detail of the `file.unknown_format` reject: which extensions are known, and the fix. */
  unknownFormat?: string;
  // Each format has its own record type; the pair of hooks agrees on it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  formats: Record<F, Format<C, any>>;
  /** For the formats whose records hook can read a part of a file: the file's pieces (null: read it whole). */
  pieces?: Partial<Record<F, (unit: InputUnit, cfg: C) => Promise<Piece[] | null>>>;
}

export function sourceReader<C extends Source, F extends string>(spec: KindSpec<C, F>): SourceReader<C> {
  return {
    async *read(unit, cfg, sctx) {
      const ctx: UnitContext = {
        unit,
        signal: sctx.signal,
        position: 'file',
        reject: (location, reason, detail) => sctx.reject({ file: unit.display, location, reason, detail }),
        count: (name, n) => sctx.count?.(name, n),
        warn: (message) => sctx.warn?.(message),
      };
      const format = spec.formatOf(unit.path, cfg);
      if (!format) return ctx.reject('file', 'file.unknown_format', spec.unknownFormat);
      yield* readFormat(spec.kind, spec.formats[format], cfg, ctx);
    },
    async pieces(unit, cfg) {
      const format = spec.formatOf(unit.path, cfg);
      const hook = format ? spec.pieces?.[format] : undefined;
      // A file that cannot be indexed is read whole, and its reader reports the problem as before.
      return hook ? hook(unit, cfg).catch(() => null) : null;
    },
  };
}

async function* readFormat<C extends Source, R>(kind: SourceKind, format: Format<C, R>, cfg: C, ctx: UnitContext): AsyncGenerator<Document> {
  const provenance = (location: string) => ({ source: cfg.name, file: ctx.unit.display, location });
  try {
    for await (const raw of format.records(ctx.unit, cfg, ctx)) {
      const out = format.toDocument(raw, cfg, ctx);
      if ('reason' in out) { ctx.reject(raw.location, out.reason, out.detail); continue; }
      for (const d of [out].flat()) {
        const doc: Document = { id: d.id ?? raw.id, source: cfg.name, kind, segments: d.segments, provenance: provenance(raw.location) };
        yield d.textJoiner === undefined ? doc : { ...doc, textJoiner: d.textJoiner };
      }
      if (ctx.signal.aborted) return;
    }
  } catch (e) {
    // Thrown by the reject sink (too many rejects in a row): it stops the run, it is not about this file.
    if (e instanceof ShardloomError) throw e;
    const [reason, location = ctx.position] = fileProblem(e);
    ctx.reject(location, reason, (e as Error).message);
  }
}

/** The one mapping from an error that stops reading a file to its reject reason (and location, when fixed). */
function fileProblem(e: unknown): [reason: string, location?: string] {
  if (e instanceof DecompressError) return [`file.${e.compression}_corrupt`];
  if (e instanceof ParquetFileError) return ['parquet.unreadable'];
  if (e instanceof TarError) return ['tar.unreadable'];
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ['file.missing', 'file'];
  return ['file.read_error'];
}

/** A source's context for a run: its rejects go to the run's sink and are counted apart, as never read. */
export function sourceContext(name: string, run: { rejects: Rejects; stats?: Stats; log: Logger; signal: AbortSignal }): SourceContext {
  return {
    signal: run.signal,
    // Counted apart too: a record rejected here never became a document (stats' records.read adds them).
    reject: (r) => { run.stats?.incSource(name, 'rejects.read'); run.rejects.reject({ ...r, source: name }); },
    count: (counter, n = 1) => { run.stats?.inc(counter, n); run.stats?.incSource(name, counter, n); },
    warn: (message) => run.log.warn(`source "${name}": ${message}`),
  };
}

/**
 * The documents of a source's units, one unit after the other. An s3:// or http(s):// unit is first downloaded to a local
 * spool file (the next one while this one is read), read from there under its URL, and the file removed; an
 * object that cannot be fetched is a reject for that unit and the source goes on.
 */
export async function* readUnits<C extends Source>(reader: SourceReader<C>, cfg: C, units: InputUnit[], ctx: SourceContext): AsyncGenerator<Document> {
  const fetches = new Map<number, Promise<string>>();
  const fetch = (i: number) => {
    if (i >= units.length || !isRemoteInput(units[i].path) || fetches.has(i)) return;
    const p = spoolRemote(units[i].path, ctx.signal);
    p.catch(() => {}); // awaited (and reported) when its unit's turn comes
    fetches.set(i, p);
  };
  try {
    for (const [i, unit] of units.entries()) {
      if (ctx.signal.aborted) return;
      if (!isRemoteInput(unit.path)) { fetch(i + 1); yield* reader.read(unit, cfg, ctx); continue; }
      fetch(i);
      let local: string;
      try {
        local = await fetches.get(i)!;
      } catch (e) {
        if (ctx.signal.aborted) return;
        const missing = isMissingRemote(e);
        ctx.reject({ file: unit.display, location: 'file', reason: missing ? 'file.missing' : 'file.read_error', detail: describeRemoteError(unit.path, e) });
        continue;
      } finally {
        fetches.delete(i);
      }
      fetch(i + 1);
      try {
        yield* reader.read({ ...unit, path: local }, cfg, ctx);
      } finally {
        await removeSpooled(local);
      }
    }
  } finally {
    // Stopped early: a download still in flight is not needed any more.
    for (const p of fetches.values()) void p.then(removeSpooled, () => {});
  }
}

export type { SourceContext, RejectFn, UnitContext, RawRecord, Draft, Rejection, Format };
