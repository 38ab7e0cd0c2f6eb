/**
 * The reference tokenizer (@lenml/tokenizers, a port of transformers.js) over the full tokenizer.json. It is
 * what `encodeWithSpecial`, `decode`, `fast: never` and vocabularies without a fast path use; building it
 * parses the 11 MB JSON and the BPE (about a second and 200 MB), so tokenizer.ts builds it only on demand.
 * Loaded with `require` so that a synchronous method (`decode`) can build it the first time it is called.
 */
import { createRequire } from 'node:module';
import { ShardloomError } from '../core/errors.js';
import { addImageTokens, readTokenizerFiles, type TokenizerConfig } from './vocabulary.js';

export interface ReferenceTokenizer {
  /** Plain text: special-token strings get ordinary BPE ids. */
  encode(text: string): Int32Array;
  /** Added tokens recognised (HF's default). */
  encodeWithSpecial(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

/** The tokenizer.json (image tokens added) and tokenizer_config.json the reference is built from. */
export function referenceFiles(cfg: TokenizerConfig): { json: unknown; config: Record<string, unknown> } {
  const { json, config } = readTokenizerFiles(cfg);
  addImageTokens(json);
  return { json, config: { tokenizer_class: 'PreTrainedTokenizer', ...config } };
}

/** How many reference tokenizers this process built (tests: the fast path and the eos lookup build none). */
export const referenceCounters = { builds: 0 };

export function buildReference(cfg: TokenizerConfig): ReferenceTokenizer {
  referenceCounters.builds++;
  const { json, config } = referenceFiles(cfg);
  const { TokenizerLoader } = createRequire(import.meta.url)('@lenml/tokenizers') as typeof import('@lenml/tokenizers');
  let tok: ReturnType<typeof TokenizerLoader.fromPreTrained>;
  try {
    tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: json as never, tokenizerConfig: config });
  } catch (e) {
    throw new ShardloomError('TOKENIZER', `cannot build the tokenizer from ${cfg.path ?? 'the bundled Qwen3 vocabulary'}: ${(e as Error).message}`, { cause: e });
  }
  const t = tok as unknown as {
    normalizer?: (s: string) => string;
    pre_tokenizer?: (s: string) => string[];
    model: ((pieces: string[]) => string[]) & { convert_tokens_to_ids(t: string[]): number[] };
    encode(s: string, o: object): number[];
    decode(ids: number[], o?: object): string;
  };
  return {
    encode(text) {
      if (text.length === 0) return new Int32Array(0);
      const norm = t.normalizer ? t.normalizer(text) : text;
      const pieces = t.pre_tokenizer ? t.pre_tokenizer(norm) : [norm];
      return Int32Array.from(t.model.convert_tokens_to_ids(t.model(pieces)));
    },
    encodeWithSpecial: (text) => Int32Array.from(t.encode(text, { add_special_tokens: false })),
    decode: (ids) => t.decode(Array.from(ids), { skip_special_tokens: false }),
  };
}
