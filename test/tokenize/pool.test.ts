/**
 * The worker pool starts a thread only when every started one is busy (one document: one thread, whatever
 * the core count), and
 * both kinds of worker — the fast path fed the prepared BPE text, the reference fed the tokenizer.json as
 * text — give the ids of the tokenizer in this thread, in input order.
 */
import { describe, expect, test } from 'vitest';
import { createWorkerPool } from '../../src/tokenize/pool.js';
import { loadPrepared } from '../../src/tokenize/prepared.js';
import { loadTokenizer, createTokenizerPool } from '../../src/tokenize/tokenizer.js';

const TEXTS = ['Straße 数据 données <img> 🙂', 'The quick brown fox jumps over the lazy dog. '.repeat(1_556), 'second chunk after a long one', '', 'हिन्दी Русский\r\n  end'];

describe('tokenizer worker pool', () => {
  test('threads start only when every started one is busy: small batches one after another keep one of four', async () => {
    const pool = createWorkerPool({ fast: loadPrepared({ name: 'qwen3' }).prepared.fast! }, 4);
    try {
      expect(pool.started()).toBe(0);
      const tok = await loadTokenizer({ name: 'qwen3' });
      expect((await pool.encodeMany(['one small document'])).map((a) => Array.from(a))).toEqual([Array.from(tok.encode('one small document'))]);
      expect(pool.started()).toBe(1);
      for (let i = 0; i < 5; i++) await pool.encodeMany([`caption ${i}`]);
      expect(pool.started()).toBe(1);
      // 70 000 characters close a 64 K-character chunk: the batch is two chunks at once — the idle thread takes
      // the first, a second thread starts for the other.
      expect((await pool.encodeMany(TEXTS)).map((a) => Array.from(a))).toEqual(TEXTS.map((t) => Array.from(tok.encode(t))));
      expect(pool.started()).toBe(2);
      // Many chunks at once: up to the pool's size, never more.
      await pool.encodeMany(Array.from({ length: 12 }, (_, i) => 'Sphinx of black quartz, judge my vow. '.repeat(1_725) + i));
      expect(pool.started()).toBe(4);
    } finally {
      await pool.close();
    }
  });

  test('reference-path workers (tokenizer.json passed as text) give the reference ids', async () => {
    const ref = await loadTokenizer({ name: 'internvl3', fast: 'never' });
    const pool = await createTokenizerPool({ name: 'internvl3', fast: 'never' }, 2);
    try {
      expect((await pool.encodeMany(TEXTS)).map((a) => Array.from(a))).toEqual(TEXTS.map((t) => Array.from(ref.encode(t))));
    } finally {
      await pool.close();
    }
  }, 120_000);
});
