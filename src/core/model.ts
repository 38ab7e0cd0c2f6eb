/**
 * The document model: what flows between stages.
 *
 * sources → Document (segments with raw media references)
 * media   → Document whose image/video segments carry encoded 448 px tiles (MediaDocument)
 * tokenize→ Sample (token ids + the images in token order)
 * mix+pack→ PackedRow (samples packed into one sequence)
 * v2pe    → PositionedRow (with position ids and each image's δ) → write
 */

/** Where a record came from: enough for a person to find it again. */
export interface Provenance {
  /** Source name from the pipeline config. */
  source: string;
  /** File path (or URL) of the unit that held the record. */
  file: string;
  /** Line (JSONL, 1-based), row (Parquet, 0-based), member (tar) … as a short string, e.g. `line 17`. */
  location: string;
}

export type SourceKind = 'text' | 'interleaved' | 'caption' | 'video';

/** Raw reference to an image before decoding. */
export type ImageRef =
  | { kind: 'bytes'; bytes: Uint8Array; name?: string }
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string };

export interface TextSegment { type: 'text'; text: string }
export interface ImageSegment { type: 'image'; image: ImageRef; meta?: Record<string, unknown> }
export interface VideoSegment {
  type: 'video';
  path: string;
  /** Optional clip window in seconds. */
  clip?: [number, number];
}
export type Segment = TextSegment | ImageSegment | VideoSegment;

export interface Document {
  /** Stable id: same input ⇒ same id on every run and every machine. */
  id: string;
  source: string;
  kind: SourceKind;
  segments: Segment[];
  provenance: Provenance;
  meta?: Record<string, unknown>;
  /**
   * How two adjacent texts of this document are joined (OBELICS paragraphs: a blank line; MMC4 sentences: a
   * space). When an image between two texts is dropped, they are joined the same way. Default: a blank line.
   */
  textJoiner?: string;
}

/** The grid one image was cut into (InternVL dynamic tiling). */
export interface TileGrid { cols: number; rows: number; thumbnail: boolean }

/** One image after the media stage: its grid and its encoded tiles (thumbnail last). */
export interface TiledImage {
  grid: TileGrid;
  /** Encoded 448×448 tiles, row-major, thumbnail after the grid. */
  tiles: Uint8Array[];
}

/** A video after the media stage: one tile per sampled frame. */
export interface TiledVideo {
  /** Encoded 448×448 frames, one tile each. */
  frames: Uint8Array[];
  frameIndices: number[];
}

export type MediaSegment =
  | TextSegment
  | { type: 'image'; image: TiledImage }
  | { type: 'video'; video: TiledVideo };

export interface MediaDocument extends Omit<Document, 'segments'> {
  segments: MediaSegment[];
}

/** An image as it sits in a tokenized sample. */
export interface SampleImage {
  grid: TileGrid;
  tiles: Uint8Array[];
  /** Index in `inputIds` of this image's `<img>` token. */
  start: number;
}

/** A tokenized document, ready to mix and pack. */
export interface Sample {
  id: string;
  source: string;
  inputIds: Int32Array;
  images: SampleImage[];
  /** Tokens that carry loss (text, not `<img>`/`<IMG_CONTEXT>`/`</img>`). */
  textTokens: number;
  provenance: Provenance;
}

/** One packed sequence: one shard row. */
export interface PackedRow {
  samples: Sample[];
}

/** A packed row with its V2PE positions (the v2pe step): everything the writer writes. */
export interface PositionedRow extends PackedRow {
  /** Position of every token of the row, restarting at 0 for each sample. */
  positionIds: Float32Array;
  /** δ of every image of the row, in order. */
  deltas: number[];
}

/** Ids of the special tokens an image span is made of. */
export interface SpecialIds { imgStart: number; imgEnd: number; imgContext: number }

export const TOKENS_PER_TILE = 256;
export const TILE_SIZE = 448;
