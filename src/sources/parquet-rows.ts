/**
 * Rows of a Parquet file, one row group at a time (bounded memory), read with hyparquet — pure JS,
 * reads by byte range, with the common codecs (zstd, snappy, gzip, brotli, lz4) from hyparquet-compressors.
 * Un-annotated BYTE_ARRAY columns stay bytes (image columns); UTF8/STRING columns come back as strings.
 * `parquetRecords` is the records hook every Parquet format uses; a file that cannot be read throws
 * ParquetFileError (a `parquet.unreadable` reject).
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { RawRecord } from './types.js';
import type { InputUnit } from './units.js';

export class ParquetFileError extends Error {}

export interface ParquetRowBatch {
  /** Index of the first row of the batch in the file (0-based). */
  firstRow: number;
  rows: Record<string, unknown>[];
}

export async function* parquetRowGroups(path: string, columns: string[]): AsyncGenerator<ParquetRowBatch> {
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
  for (const rg of meta.row_groups) {
    const n = Number(rg.num_rows);
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
  for await (const batch of parquetRowGroups(unit.path, columns)) {
    for (const [i, record] of batch.rows.entries()) {
      const row = batch.firstRow + i;
      onRow?.(row);
      yield { location: `row ${row}`, id: `${unit.display}:row${row}`, record };
    }
  }
}
