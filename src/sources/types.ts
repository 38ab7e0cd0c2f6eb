/**
 * The source contract: what a reader's two hooks see and return (reader.ts owns the loop around them).
 */
import type { Segment } from '../core/model.js';
import type { Source } from '../config/types.js';
import type { RejectRecord } from '../core/rejects.js';
import type { InputUnit } from './units.js';

/** Where a source's rejects, counts and warnings go (one per source; see `sourceContext`). */
export interface SourceContext {
  reject(r: Omit<RejectRecord, 'source'>): void;
  /** Count something dropped on purpose (not a reject), e.g. `images.dropped.similarity`. */
  count?(name: string, n?: number): void;
  signal: AbortSignal;
  /** A warning about the input that is not a reject (e.g. a zstd frame without a checksum, once per file). */
  warn?(message: string): void;
}

/** A reject inside the file being read: where (`line 3`, `row 0`, `member a.jpg`, `file`), why, what was found. */
export type RejectFn = (location: string, reason: string, detail?: string) => void;

/** What the hooks see while one unit is read. */
export interface UnitContext {
  unit: InputUnit;
  reject: RejectFn;
  count(name: string, n?: number): void;
  warn(message: string): void;
  signal: AbortSignal;
  /** Where the reject of an error that stops the file is placed: `file`, unless a format tracks more (`after line 12`). */
  position: string;
}

/** A raw record of a unit: where it is, the id its document gets by default, and the record itself. */
export interface RawRecord<R> { location: string; id: string; record: R }

/** What a record becomes; the base adds source, kind, provenance, and the record's id unless `id` is given. */
export interface Draft { segments: Segment[]; id?: string; textJoiner?: string }

/** Why a record is not a document. */
export interface Rejection { reason: string; detail?: string }

/** One input format: the two hooks. */
export interface Format<C extends Source, R> {
  /** The records of one unit, in file order. What cannot be parsed it rejects through `ctx.reject`; it throws for the whole file. */
  records(unit: InputUnit, cfg: C, ctx: UnitContext): AsyncIterable<RawRecord<R>>;
  /** One record → its document(s), or why not. */
  toDocument(raw: RawRecord<R>, cfg: C, ctx: UnitContext): Draft | Draft[] | Rejection;
}
