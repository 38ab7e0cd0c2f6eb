/**
 * Shard files: Parquet written by parquet-wasm (arrow-rs in WebAssembly: real nested types, zstd, row
 * groups, key/value metadata), Arrow IPC files by apache-arrow. Reading back: Parquet row group by row group
 * with hyparquet, Arrow IPC batch by batch with apache-arrow — bounded memory either way.
 */
import { open, unlink, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type * as A from 'apache-arrow';
import type * as PW from 'parquet-wasm';
import { arrow, pw } from './libs.js';
// The readers (hyparquet and its decompressors) load on first read: the writer thread, which only writes,
// never pays for them (≈ 30 ms of module loading per run).
import { hyparquet as readers } from '../core/hyparquet.js';
import type { ShardRow } from './arrow-table.js';

export interface ReadRow extends ShardRow { numTokens: number; numTiles: number }

const { RecordBatch, RecordBatchFileWriter, RecordBatchReader, Schema, Table, tableToIPC } = arrow;
type Schema = A.Schema;
type Table = A.Table;

const COMPRESSION = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY, none: pw.Compression.UNCOMPRESSED } as const;

/**
 * File-level metadata is stored as ONE key, `shardloom`, holding a JSON object with sorted keys. Why:
 * arrow-rs keeps key/value metadata in hash maps whose iteration order changes from one writer to the
 * next within a process, so several keys would come out in varying order and break byte-identical
 * shards. Readers (readShardMetadata) expand it back to `shardloom.<key>` entries.
 */
export { METADATA_KEY } from './metadata-key.js';
import { METADATA_KEY } from './metadata-key.js';

export function packMetadata(md: Map<string, string> | Record<string, string>): string {
  // Already packed (shardMetadata builds the JSON itself, so that ids can be JSON numbers): kept as it is.
  const packed = md instanceof Map ? md.get(METADATA_KEY) : md[METADATA_KEY];
  if (packed !== undefined) return packed;
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

/**
 * The same table with its metadata replaced by the single packed key. Parquet files carry it twice: in
 * the footer's key/value metadata and in the embedded Arrow schema (what pyarrow's `read_schema` shows).
 */
function withPackedMetadata(table: Table): Table {
  const md = new Map<string, string>([[METADATA_KEY, packMetadata(table.schema.metadata)]]);
  const schema = new Schema(table.schema.fields, md);
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
}

export interface ParquetWriteOptions { rowGroupRows?: number; compression?: 'zstd' | 'snappy' | 'none' }

function writerProperties(schemaMetadata: Map<string, string>, opts: ParquetWriteOptions): PW.WriterProperties {
  const metadata = new Map<string, string>([[METADATA_KEY, packMetadata(schemaMetadata)]]);
  // No dictionary encoding, in any column: over token ids, positions and encoded tiles (nearly all of a
  // shard) it only costs time — hashing every tile until the dictionary page overflows — and zstd alone makes
  // text shards 22 % smaller than dictionary + zstd (docs/decisions.md). parquet-wasm's per-column switch
  // cannot name a column inside a list (its paths have one part), so it is off for the whole file.
  return new pw.WriterPropertiesBuilder()
    .setCompression(COMPRESSION[opts.compression ?? 'zstd'])
    .setDictionaryEnabled(false)
    .setMaxRowGroupSize(opts.rowGroupRows ?? 64)
    .setCreatedBy('shardloom')
    .setKeyValueMetadata(metadata)
    .build();
}

/** A whole table as one Parquet file (tests, benchmarks; the run streams through `openShardSink`). */
export async function writeParquetShard(table: Table, path: string, opts: ParquetWriteOptions = {}): Promise<void> {
  // writeParquet consumes (frees) the WebAssembly table.
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(withPackedMetadata(table), 'stream')), writerProperties(table.schema.metadata, opts));
  await writeFile(path, bytes);
}

export async function writeArrowShard(table: Table, path: string): Promise<void> {
  await writeFile(path, tableToIPC(withPackedMetadata(table), 'file'));
}

/**
 * A shard file written as it grows: tables (a row group or so each, all with the shard schema) go in
 * one by one and only the current one is held in memory, so the writer's memory does not depend on the
 * shard size. `close` completes the file; `abort` stops and removes it. Same bytes as writing the
 * concatenated table at once.
 */
export interface ShardSink {
  write(table: Table): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export async function openShardSink(path: string, format: 'parquet' | 'arrow', schemaMetadata: Map<string, string>, opts: ParquetWriteOptions = {}): Promise<ShardSink> {
  return format === 'parquet' ? openParquetSink(path, schemaMetadata, opts) : openArrowSink(path);
}

/** One-slot hand-over between a producer and a pulling consumer; `put` resolves once the item is taken. */
class Handover<T> {
  private item: { value: T | null; taken: () => void } | null = null;
  private waiting: ((x: { value: T | null; taken: () => void }) => void) | null = null;
  put(value: T | null): Promise<void> {
    return new Promise((taken) => {
      const x = { value, taken };
      if (this.waiting) { const w = this.waiting; this.waiting = null; w(x); } else this.item = x;
    });
  }
  async take(): Promise<T | null> {
    const x = this.item ?? (await new Promise<{ value: T | null; taken: () => void }>((r) => (this.waiting = r)));
    this.item = null;
    x.taken();
    return x.value;
  }
}

async function openParquetSink(path: string, schemaMetadata: Map<string, string>, opts: ParquetWriteOptions): Promise<ShardSink> {
  const fh = await open(path, 'w');
  const handover = new Handover<PW.RecordBatch>();
  const input = new ReadableStream<PW.RecordBatch>({
    async pull(c) {
      const b = await handover.take();
      if (b) c.enqueue(b);
      else c.close();
    },
  }, { highWaterMark: 0 });
  let failed: unknown = null;
  const pump = (async () => {
    const out = (await pw.transformParquetStream(input, writerProperties(schemaMetadata, opts))) as ReadableStream<Uint8Array>;
    for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) await fh.write(chunk);
  })().catch((e) => { failed = e; throw e; });
  pump.catch(() => undefined);
  // A put waits for the encoder to take the batch; if the encoder stops instead (it failed), that wins.
  const stopped = pump.then(() => { throw new Error('parquet writer ended early'); });
  stopped.catch(() => undefined);
  const send = (b: PW.RecordBatch | null) => Promise.race([handover.put(b), stopped]);
  let closed = false;
  return {
    async write(table) {
      if (failed) throw failed;
      const wasm = pw.Table.fromIPCStream(tableToIPC(withPackedMetadata(table), 'stream'));
      const batches = wasm.recordBatches();
      wasm.free();
      for (const b of batches) await send(b);
    },
    async close() {
      closed = true;
      try {
        await send(null);
        await pump;
      } finally {
        await fh.close().catch(() => undefined);
      }
    },
    async abort() {
      if (!closed) {
        closed = true;
        void handover.put(null);
        await pump.catch(() => undefined);
        await fh.close().catch(() => undefined);
      }
      await unlink(path).catch(() => undefined);
    },
  };
}

async function openArrowSink(path: string): Promise<ShardSink> {
  // Open the file first so that a bad path fails here, like the Parquet sink. The file stream owns the handle.
  const fh = await open(path, 'w');
  const file = fh.createWriteStream();
  const writer = new RecordBatchFileWriter();
  // The writer is an async iterable of the file's bytes (apache-arrow's single-file build has no toNodeStream),
  // pumped here by hand: stream.pipeline would end it with the iterator's return() when the file is cut off,
  // which apache-arrow's writer never settles. Closing the writer ends the loop; a cut-off file rejects `done`.
  let failed: Error | null = null;
  file.on('error', (e) => { failed ??= e; });
  const settled = () => new Promise<void>((res) => {
    const go = () => { file.off('drain', go); file.off('close', go); file.off('error', go); res(); };
    file.on('drain', go); file.on('close', go); file.on('error', go);
  });
  const done = (async () => {
    for await (const chunk of writer as AsyncIterable<Uint8Array>) {
      if (failed || file.destroyed) continue; // failed or aborted: drain what the writer still has, write nothing
      if (!file.write(chunk)) await settled();
    }
    if (failed) throw failed;
    if (file.destroyed) throw new Error('arrow shard aborted');
    await new Promise<void>((res, rej) => file.end((e?: Error | null) => (e || failed ? rej(e ?? failed) : res())));
  })();
  done.catch(() => undefined);
  let closed = false;
  return {
    async write(table) {
      for (const b of withPackedMetadata(table).batches) writer.write(b);
    },
    async close() {
      closed = true;
      writer.close();
      await done;
    },
    async abort() {
      if (!closed) {
        closed = true;
        // Not writer.abort(): apache-arrow rejects an internal read with nobody listening. Cut the file off instead.
        file.destroy();
        writer.close();
        await done.catch(() => undefined);
      }
      await unlink(path).catch(() => undefined);
    },
  };
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
  const { asyncBufferFromFile, parquetMetadataAsync } = await readers();
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
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, compressors } = await readers();
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

