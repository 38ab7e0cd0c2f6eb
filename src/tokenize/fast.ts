/**
 * The fast exact path for byte-level BPE vocabularies whose token ids are their merge ranks (the Qwen
 * family: its vocabulary comes from a tiktoken BPE): the `tiktoken` package's WebAssembly BPE core with the
 * vocabulary, the pre-tokenizer regex and no special tokens (document text never yields special ids).
 * NFC normalisation happens here, as the tokenizer.json's normalizer says.
 *
 * `fastSpec` checks that the vocabulary qualifies (once per vocabulary: prepared.ts caches its result);
 * parity with the reference path is tested on real text. Building the BPE from the spec costs ~0.25 CPU-s
 * and ~75 MB, so tokenizer.ts builds it on the first `encode` and the pool once per started thread.
 */
import { createRequire } from 'node:module';

export interface FastSpec { bpe: string; pattern: string; nfc: boolean }

interface PreTok { type: string; pretokenizers?: PreTok[]; pattern?: { Regex?: string }; behavior?: string; invert?: boolean; use_regex?: boolean }

interface TokJson {
  normalizer?: { type: string } | null;
  pre_tokenizer?: PreTok | null;
  model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[]; byte_fallback?: boolean; ignore_merges?: boolean };
}

/** GPT-2's byte ↔ unicode table used by byte-level BPE vocabularies: char code → byte (-1: not byte-level). */
function byteDecoder(): Int16Array {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n++); }
  const table = new Int16Array(Math.max(...cs) + 1).fill(-1);
  bs.forEach((b, i) => { table[cs[i]] = b; });
  return table;
}

/**
 * The tiktoken inputs for a tokenizer.json, or the reason it does not qualify. Exactness needs: a BPE
 * model; NFC or no normaliser; pre-tokenizer = Split(regex, Isolated) + ByteLevel(use_regex false);
 * and merge ranks consistent with ids (the merge producing token t is merge number id(t) − 256 or earlier
 * in order), so that tiktoken's rank-ordered merging equals the reference's merge-ordered merging.
 */
export function fastSpec(json: TokJson): FastSpec | string {
  if (json.model.type !== 'BPE') return `model is ${json.model.type}, not BPE`;
  const norm = json.normalizer?.type;
  if (norm && norm !== 'NFC') return `normalizer ${norm} is not supported by the fast path`;
  const pre = json.pre_tokenizer;
  const parts = pre?.type === 'Sequence' ? pre.pretokenizers ?? [] : pre ? [pre] : [];
  const split = parts[0];
  if (parts.length !== 2 || split.type !== 'Split' || !split.pattern?.Regex || split.behavior !== 'Isolated' || split.invert) return 'pre-tokenizer is not Split(regex, Isolated) + ByteLevel';
  if (parts[1].type !== 'ByteLevel' || parts[1].use_regex !== false) return 'pre-tokenizer is not Split + ByteLevel(use_regex: false)';
  const dec = byteDecoder();
  let buf = Buffer.alloc(256);
  const toBase64 = (tok: string): string | null => {
    if (tok.length > buf.length) buf = Buffer.alloc(tok.length);
    for (let i = 0; i < tok.length; i++) {
      const c = tok.charCodeAt(i);
      const b = c < dec.length ? dec[c] : -1;
      if (b < 0) return null;
      buf[i] = b;
    }
    return buf.toString('base64', 0, tok.length);
  };
  // Ranks must follow merge order: each merge's result has a larger id than both its parts and than
  // the results of earlier merges.
  const vocab = json.model.vocab;
  let last = -1;
  for (const m of json.model.merges) {
    const [a, b] = Array.isArray(m) ? m : m.split(' ');
    const id = vocab[a + b];
    if (id === undefined || id <= last || id <= vocab[a] || id <= vocab[b]) return `merge "${a} ${b}" is out of rank order`;
    last = id;
  }
  const lines: string[] = [];
  for (const [tok, id] of Object.entries(vocab)) {
    const b64 = toBase64(tok);
    if (b64 === null) return `token ${JSON.stringify(tok)} is not byte-level`;
    lines.push(`${b64} ${id}`);
  }
  return { bpe: lines.join('\n'), pattern: split.pattern.Regex!, nfc: norm === 'NFC' };
}

export interface FastEncoder { encode(text: string): Int32Array; free(): void }

export function createFastEncoder(spec: FastSpec): FastEncoder {
  const require = createRequire(import.meta.url);
  const { Tiktoken } = require('tiktoken') as typeof import('tiktoken');
  const enc = new Tiktoken(spec.bpe, {}, spec.pattern);
  return {
    encode(text) {
      if (text.length === 0) return new Int32Array(0);
      const ids = enc.encode_ordinary(spec.nfc ? text.normalize('NFC') : text);
      return new Int32Array(ids.buffer, ids.byteOffset, ids.length);
    },
    free: () => enc.free(),
  };
}
