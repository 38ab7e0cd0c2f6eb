/**
 * The source contract: a reader turns one input unit (a file) into documents. Problems with a record
 * (or with the whole file) become rejects through `ctx.reject`; a reader never throws for bad data.
 */
import type { Document } from '../core/model.js';
import type { Source } from '../config/types.js';
import type { RejectRecord } from '../core/rejects.js';
import type { InputUnit } from './units.js';

export interface SourceContext {
  reject(r: Omit<RejectRecord, 'source'>): void;
  /** Count something dropped on purpose (not a reject), e.g. `images.dropped.similarity`. */
  count?(name: string, n?: number): void;
  signal: AbortSignal;
  /** Log a warning about the input that is not a reject (e.g. a zstd frame without a checksum, once per file). */
  warn?(message: string): void;
}

export interface SourceReader<C extends Source = Source> {
  /** Read the documents of one input unit, in file order. */
  read(unit: InputUnit, cfg: C, ctx: SourceContext): AsyncIterable<Document>;
}
