/**
 * Shard files: Parquet written by parquet-wasm (arrow-rs in WebAssembly: real nested types, zstd, row
 * groups, key/value metadata), Arrow IPC files by apache-arrow. Reading back: Parquet row group by row group
 * with hyparquet, Arrow IPC batch by batch with apache-arrow — bounded memory either way.
 */
import { writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { RecordBatch, RecordBatchReader, Schema, Table, tableToIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ShardRow } from './arrow-table.js';

export interface ReadRow extends ShardRow { numTokens: number; numTiles: number }

const COMPRESSION = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY, none: pw.Compression.UNCOMPRESSED } as const;

/**
 * File-level metadata is stored as ONE key, `shardloom`, holding a JSON object with sorted keys. Why:
 * arrow-rs keeps key/value metadata in hash maps whose iteration order changes from one writer to the
 * next within a process, so several keys would come out in varying order and break byte-identical
 * shards. Readers (readShardMetadata) expand it back to `shardloom.<key>` entries.
 */
export const METADATA_KEY = 'shardloom';

export function packMetadata(md: Map<string, string> | Record<string, string>): string {
  const entries = (md instanceof Map ? [...md] : Object.entries(md)).map(([k, v]) => [k.replace(/^shardloom\./, ''), v] as const);
  return JSON.stringify(Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

export function unpackMetadata(kv: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(kv)) {
    if (k !== METADATA_KEY) { out[k] = v; continue; }
    try {
      for (const [kk, vv] of Object.entries(JSON.parse(v) as Record<string, string>)) out[`shardloom.${kk}`] = String(vv);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** The same table with its metadata replaced by the single packed key. */
function withPackedMetadata(table: Table, keep: boolean): Table {
  const md = new Map<string, string>(keep ? [[METADATA_KEY, packMetadata(table.schema.metadata)]] : []);
  const schema = new Schema(table.schema.fields, md);
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
}

export async function writeParquetShard(table: Table, path: string, opts: { rowGroupRows?: number; compression?: 'zstd' | 'snappy' | 'none' } = {}): Promise<void> {
  const metadata = new Map<string, string>([[METADATA_KEY, packMetadata(table.schema.metadata)]]);
  let props = new pw.WriterPropertiesBuilder()
    .setCompression(COMPRESSION[opts.compression ?? 'zstd'])
    .setMaxRowGroupSize(opts.rowGroupRows ?? 64)
    .setCreatedBy('shardloom')
    .setKeyValueMetadata(metadata);
  // Token ids compress well with zstd alone; a dictionary over them only costs time.
  for (const c of ['input_ids', 'position_ids', 'tiles']) props = props.setColumnDictionaryEnabled(c, false);
  // writeParquet consumes (frees) the WebAssembly table.
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(withPackedMetadata(table, false), 'stream')), props.build());
  await writeFile(path, bytes);
}

export async function writeArrowShard(table: Table, path: string): Promise<void> {
  await writeFile(path, tableToIPC(withPackedMetadata(table, true), 'file'));
}

export interface ShardMetadata {
  metadata: Record<string, string>;
  numRows: number;
  columns: { name: string; type: string }[];
}

const isArrow = (path: string) => /\.(arrow|feather|ipc)$/i.test(path);

export async function readShardMetadata(path: string): Promise<ShardMetadata> {
  if (isArrow(path)) {
    const reader = await RecordBatchReader.from(createReadStream(path));
    await reader.open();
    const schema = reader.schema;
    let numRows = 0;
    for await (const b of reader) numRows += b.numRows;
    return { metadata: unpackMetadata(Object.fromEntries(schema.metadata)), numRows, columns: columnsOf(schema) };
  }
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value ?? '']));
  const schema = kv['ARROW:schema'] ? arrowSchemaOf(kv['ARROW:schema']) : null;
  delete kv['ARROW:schema'];
  return { metadata: unpackMetadata(kv), numRows: Number(meta.num_rows), columns: schema ? columnsOf(schema) : [] };
}

function columnsOf(schema: Schema): { name: string; type: string }[] {
  return schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
}

/** arrow-rs stores the Arrow schema in the Parquet footer as a base64 IPC message: decode it exactly. */
function arrowSchemaOf(b64: string): Schema {
  const msg = Buffer.from(b64, 'base64');
  // An IPC stream is the schema message followed by an end-of-stream marker.
  const eos = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  const reader = RecordBatchReader.from(Buffer.concat([msg, eos]));
  reader.open();
  return reader.schema;
}

export async function* readShardRows(path: string): AsyncGenerator<ReadRow> {
  if (isArrow(path)) {
    const reader = await RecordBatchReader.from(createReadStream(path));
    for await (const batch of reader) {
      for (let i = 0; i < batch.numRows; i++) yield fromObject(batch.get(i)!.toJSON() as Record<string, unknown>);
    }
    return;
  }
  const file = await asyncBufferFromFile(path);
  const meta = await parquetMetadataAsync(file);
  let start = 0;
  for (const rg of meta.row_groups) {
    const n = Number(rg.num_rows);
    const rows = await parquetReadObjects({ file, metadata: meta, rowStart: start, rowEnd: start + n, compressors, utf8: false });
    for (const r of rows) yield fromObject(r);
    start += n;
  }
}

const arr = (v: unknown): unknown[] => (v == null ? [] : Array.isArray(v) ? v : Array.from(v as ArrayLike<unknown>));
const dec = new TextDecoder();
const str = (v: unknown) => (typeof v === 'string' ? v : dec.decode(v as Uint8Array));

function fromObject(o: Record<string, unknown>): ReadRow {
  const grid = (g: unknown) => {
    const x = (g && typeof (g as { toJSON?: unknown }).toJSON === 'function' ? (g as { toJSON(): unknown }).toJSON() : g) as { cols: number; rows: number; thumbnail: boolean };
    return { cols: Number(x.cols), rows: Number(x.rows), thumbnail: Boolean(x.thumbnail) };
  };
  return {
    inputIds: Int32Array.from(arr(o.input_ids) as number[]),
    positionIds: Float32Array.from(arr(o.position_ids) as number[]),
    sampleLengths: arr(o.sample_lengths).map(Number),
    sampleSources: arr(o.sample_sources).map(str),
    sampleIds: arr(o.sample_ids).map(str),
    tiles: arr(o.tiles).map((t) => (t instanceof Uint8Array ? t : new Uint8Array(t as ArrayBuffer))),
    imageTiles: arr(o.image_tiles).map(Number),
    imageGrids: arr(o.image_grids).map(grid),
    imageV2peDelta: arr(o.image_v2pe_delta).map(Number),
    numTokens: Number(o.num_tokens),
    numTiles: Number(o.num_tiles),
  };
}

