/**
 * The shard schema (a public contract, see docs/shards.md) and rows → Arrow table, built column by
 * column straight into typed buffers (no per-value builder calls: a shard holds millions of tokens).
 */
import type * as A from 'apache-arrow';
import { arrow } from './libs.js';

const { Binary, Bool, Field, Float32, Int16, Int32, List, Schema, Struct, Table, Utf8, RecordBatch, makeData } = arrow;
type Binary = A.Binary;
type Field = A.Field;
type Schema = A.Schema;
type Table = A.Table;
type Utf8 = A.Utf8;
type Data = A.Data;
type DataType = A.DataType;
type List = A.List;
type Int32 = A.Int32;
type Int16 = A.Int16;
import type { TileGrid } from '../core/model.js';

export interface ShardRow {
  inputIds: Int32Array;
  positionIds: Float32Array;
  sampleLengths: number[];
  sampleSources: string[];
  sampleIds: string[];
  tiles: Uint8Array[];
  imageTiles: number[];
  imageGrids: TileGrid[];
  imageV2peDelta: number[];
}

const item = <T extends DataType>(t: T) => new Field('item', t, false);
const gridType = () => new Struct([new Field('cols', new Int16(), false), new Field('rows', new Int16(), false), new Field('thumbnail', new Bool(), false)]);

/** Column order and types: the contract. */
export function shardFields(): Field[] {
  return [
    new Field('input_ids', new List(item(new Int32())), false),
    new Field('position_ids', new List(item(new Float32())), false),
    new Field('sample_lengths', new List(item(new Int32())), false),
    new Field('sample_sources', new List(item(new Utf8())), false),
    new Field('sample_ids', new List(item(new Utf8())), false),
    new Field('tiles', new List(item(new Binary())), false),
    new Field('image_tiles', new List(item(new Int16())), false),
    new Field('image_grids', new List(item(gridType())), false),
    new Field('image_v2pe_delta', new List(item(new Float32())), false),
    new Field('num_tokens', new Int32(), false),
    new Field('num_tiles', new Int32(), false),
  ];
}

export function shardSchema(metadata: Map<string, string>): Schema {
  return new Schema(shardFields(), metadata);
}

/** Offsets of a list column from per-row lengths. */
function offsets(lengths: number[]): Int32Array {
  const o = new Int32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) o[i + 1] = o[i] + lengths[i];
  return o;
}

function concatTyped<T extends Int32Array | Float32Array | Int16Array>(parts: ArrayLike<number>[], Ctor: new (n: number) => T): T {
  const out = new Ctor(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number>, at);
    at += p.length;
  }
  return out;
}

function listOf(field: Field, lengths: number[], child: Data): Data {
  return makeData({ type: field.type as List, length: lengths.length, nullCount: 0, valueOffsets: offsets(lengths), child });
}

function bytesData(type: Utf8 | Binary, values: Uint8Array[]): Data {
  const data = new Uint8Array(values.reduce((a, v) => a + v.length, 0));
  let at = 0;
  for (const v of values) {
    data.set(v, at);
    at += v.length;
  }
  return makeData({ type, length: values.length, nullCount: 0, valueOffsets: offsets(values.map((v) => v.length)), data } as never);
}

function boolData(values: boolean[]): Data {
  const bits = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => { if (v) bits[i >> 3] |= 1 << (i & 7); });
  return makeData({ type: new Bool(), length: values.length, nullCount: 0, data: bits });
}

const enc = new TextEncoder();

export function rowsToTable(rows: ShardRow[], metadata: Record<string, string>): Table {
  const fields = shardFields();
  const f = (name: string) => fields.find((x) => x.name === name)!;
  const grids = rows.flatMap((r) => r.imageGrids);
  const gridChild = makeData({
    type: gridType(),
    length: grids.length,
    nullCount: 0,
    children: [
      makeData({ type: new Int16(), length: grids.length, nullCount: 0, data: Int16Array.from(grids, (g) => g.cols) }),
      makeData({ type: new Int16(), length: grids.length, nullCount: 0, data: Int16Array.from(grids, (g) => g.rows) }),
      boolData(grids.map((g) => g.thumbnail)),
    ],
  });
  const ints = (name: string, get: (r: ShardRow) => ArrayLike<number>, Ctor: typeof Int32Array | typeof Int16Array, T: Int32 | Int16) =>
    listOf(f(name), rows.map((r) => get(r).length), makeData({ type: T, length: rows.reduce((a, r) => a + get(r).length, 0), nullCount: 0, data: concatTyped(rows.map(get), Ctor as never) } as never));
  const floats = (name: string, get: (r: ShardRow) => ArrayLike<number>) =>
    listOf(f(name), rows.map((r) => get(r).length), makeData({ type: new Float32(), length: rows.reduce((a, r) => a + get(r).length, 0), nullCount: 0, data: concatTyped(rows.map(get), Float32Array) }));
  const strings = (name: string, get: (r: ShardRow) => string[]) =>
    listOf(f(name), rows.map((r) => get(r).length), bytesData(new Utf8(), rows.flatMap((r) => get(r).map((s) => enc.encode(s)))));
  const children: Data[] = [
    ints('input_ids', (r) => r.inputIds, Int32Array, new Int32()),
    floats('position_ids', (r) => r.positionIds),
    ints('sample_lengths', (r) => r.sampleLengths, Int32Array, new Int32()),
    strings('sample_sources', (r) => r.sampleSources),
    strings('sample_ids', (r) => r.sampleIds),
    listOf(f('tiles'), rows.map((r) => r.tiles.length), bytesData(new Binary(), rows.flatMap((r) => r.tiles))),
    ints('image_tiles', (r) => r.imageTiles, Int16Array, new Int16()),
    listOf(f('image_grids'), rows.map((r) => r.imageGrids.length), gridChild),
    floats('image_v2pe_delta', (r) => r.imageV2peDelta),
    makeData({ type: new Int32(), length: rows.length, nullCount: 0, data: Int32Array.from(rows, (r) => r.inputIds.length) }),
    makeData({ type: new Int32(), length: rows.length, nullCount: 0, data: Int32Array.from(rows, (r) => r.tiles.length) }),
  ];
  const schema = shardSchema(new Map(Object.entries(metadata)));
  const struct = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}
