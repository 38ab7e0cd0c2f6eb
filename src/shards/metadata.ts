/**
 * A shard's file metadata: ONE key `shardloom` holding a JSON object with sorted keys (parquet-io.ts says
 * why one key); ids and sizes are JSON numbers, so a loader needs no parsing (docs/shards.md lists them).
 */
import type { Tokenizer } from '../tokenize/tokenizer.js';
import type { ResolvedConfig } from '../config/types.js';
import { FORMAT_VERSION } from './index-file.js';
import { METADATA_KEY } from './metadata-key.js';
import { sortKeys } from './writer.js';

export interface ShardMetadataInput {
  tokenizer: Pick<Tokenizer, 'name' | 'vocabSize' | 'special'>;
  eosId: number | null;
  images: Pick<ResolvedConfig['images'], 'tileSize' | 'encoding'>;
  /** The JPEG encoder of the compute backend (the tile bytes depend on it); none for a text-only run. */
  encoder?: string;
  /** Where the pixels were made when not by the cpu backend (e.g. `gpu cuda:0 (NVIDIA H200)`, or its fallback to the cpu). */
  compute?: string;
  configHash: string;
}

export function shardMetadata(m: ShardMetadataInput): Record<string, string> {
  const md: Record<string, string | number | null> = {
    format_version: FORMAT_VERSION,
    tokenizer: m.tokenizer.name,
    vocab_size: m.tokenizer.vocabSize,
    img_start_id: m.tokenizer.special.imgStart,
    img_end_id: m.tokenizer.special.imgEnd,
    img_context_id: m.tokenizer.special.imgContext,
    eos_id: m.eosId,
    tile_size: m.images.tileSize,
    tile_encoding: m.images.encoding,
    ...(m.encoder && m.images.encoding === 'jpeg' ? { tile_encoder: m.encoder } : {}),
    config_hash: m.configHash,
    ...(m.compute ? { compute: m.compute } : {}),
  };
  return { [METADATA_KEY]: JSON.stringify(sortKeys(md)) };
}
