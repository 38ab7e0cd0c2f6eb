/**
 * Rows of a Parquet file, one row group at a time (bounded memory), read with hyparquet — pure JS,
 * reads by byte range, with the common codecs (zstd, snappy, gzip, brotli, lz4) from hyparquet-compressors.
 * Un-annotated BYTE_ARRAY columns stay bytes (image columns); UTF8/STRING columns come back as strings.
 * `parquetRecords` is the records hook every Parquet format uses; a file that cannot be read throws
 * ParquetFileError (a `parquet.unreadable` reject). A unit that is a part of the file (`row-groups`) reads
 * only its row groups, with the rows' numbers in the whole file; `parquetPieces` lists a file's row groups.
 */
import { hyparquet } from '../core/hyparquet.js';
import type { RawRecord } from './types.js';
import type { InputUnit, Piece, UnitPart } from './units.js';

export class ParquetFileError extends Error {}

export interface ParquetRowBatch {
  /** Index of the first row of the batch in the file (0-based). */
  firstRow: number;
  rows: Record<string, unknown>[];
}

/** The row groups of a file (all, or those of `part`), one batch each. */
export async function* parquetRowGroups(path: string, columns: string[], part?: UnitPart): AsyncGenerator<ParquetRowBatch> {
  const [from, to] = part?.kind === 'row-groups' ? [part.start, part.end] : [0, Infinity];
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, compressors } = await hyparquet();
  let file;
  let meta;
  try {
    file = await asyncBufferFromFile(path);
    meta = await parquetMetadataAsync(file);
  } catch (e) {
    throw new ParquetFileError(`not a readable Parquet file: ${(e as Error).message}`, { cause: e });
  }
  const names = new Set(parquetSchema(meta).children.map((c) => c.element.name));
  const absent = columns.filter((c) => !names.has(c));
  if (absent.length > 0) {
    throw new ParquetFileError(`column${absent.length > 1 ? 's' : ''} ${absent.map((c) => `"${c}"`).join(', ')} not in the file (it has: ${[...names].join(', ')})`);
  }
  let start = 0;
  for (const [g, rg] of meta.row_groups.entries()) {
    const n = Number(rg.num_rows);
    if (g < from || g >= to) { start += n; continue; }
    let rows;
    try {
      rows = await parquetReadObjects({ file, metadata: meta, columns, rowStart: start, rowEnd: start + n, compressors, utf8: false });
    } catch (e) {
      throw new ParquetFileError(`row group at row ${start} is unreadable: ${(e as Error).message}`, { cause: e });
    }
    yield { firstRow: start, rows };
    start += n;
  }
}

/** The records hook of a Parquet unit: one record per row, at `row N` (0-based), with id `file:rowN`. */
export async function* parquetRecords(unit: InputUnit, columns: string[], onRow?: (row: number) => void): AsyncGenerator<RawRecord<Record<string, unknown>>> {
  for await (const batch of parquetRowGroups(unit.path, columns, unit.part)) {
    for (const [i, record] of batch.rows.entries()) {
      const row = batch.firstRow + i;
      onRow?.(row);
      yield { location: `row ${row}`, id: `${unit.display}:row${row}`, record };
    }
  }
}

/**
 * The row groups of a file as pieces for splitting, sized by their compressed bytes; null when the footer
 * cannot be read or a column is missing, so that such a file stays whole and is rejected once, as before.
 */
export async function parquetPieces(path: string, columns: string[]): Promise<Piece[] | null> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } = await hyparquet();
  let meta;
  try {
    meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
  } catch {
    return null;
  }
  const names = new Set(parquetSchema(meta).children.map((c) => c.element.name));
  if (columns.some((c) => !names.has(c))) return null;
  let row = 0;
  return meta.row_groups.map((rg, g) => {
    const n = Number(rg.num_rows);
    const compressed = rg.columns.reduce((a, c) => a + Number(c.meta_data?.total_compressed_size ?? 0), 0);
    const piece: Piece = { part: { kind: 'row-groups', start: g, end: g + 1, firstRow: row, endRow: row + n }, bytes: Math.max(1, compressed || Number(rg.total_byte_size)) };
    row += n;
    return piece;
  });
}
