import { describe, expect, test } from 'vitest';
import { tokenizeDocuments, assembleSample } from '../../src/tokenize/stage.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import type { MediaDocument } from '../../src/core/model.js';

const special = { imgStart: 151669, imgEnd: 151670, imgContext: 151671 };

function caption(i: number, tileBytes: number): MediaDocument {
  const tiles = [new Uint8Array(tileBytes).fill(i & 255)];
  return {
    id: `c${i}`, source: 'pairs', kind: 'caption', provenance: { source: 'pairs', file: 'f.tar', location: `member ${i}` },
    segments: [{ type: 'image', image: { grid: { cols: 1, rows: 1, thumbnail: false }, tiles } }, { type: 'text', text: `caption number ${i}` }],
  };
}

async function* docs(n: number, tileBytes: number, pulled: { n: number }) {
  for (let i = 0; i < n; i++) {
    pulled.n = i + 1;
    yield caption(i, tileBytes);
  }
}

describe('tokenize stage', () => {
  test('samples carry the image span and the text ids of the real tokenizer, in input order', async () => {
    const tok = await loadTokenizer({ name: 'qwen3' });
    const encoder = { encodeMany: async (texts: string[]) => texts.map((t) => Int32Array.from(tok.encode(t))) };
    const out = [];
    for await (const s of tokenizeDocuments(docs(5, 10, { n: 0 }), encoder, { special, eosId: 151643 })) out.push(s);
    expect(out.map((s) => s.id)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    const s = out[3];
    const text = tok.encode('caption number 3');
    expect(Array.from(s.inputIds)).toEqual([special.imgStart, ...Array(256).fill(special.imgContext), special.imgEnd, ...text, 151643]);
    expect(s.images[0].start).toBe(0);
    expect(s.textTokens).toBe(text.length + 1);
  });

  test('a batch holds at most batchMediaBytes of pixels: short captions do not gather thousands of images', async () => {
    const batches: number[] = [];
    const encoder = { encodeMany: async (texts: string[]) => { batches.push(texts.length); return texts.map(() => Int32Array.of(7)); } };
    const pulled = { n: 0 };
    const it = tokenizeDocuments(docs(100, 1 << 20, pulled), encoder, { special, eosId: null, batchMediaBytes: 4 << 20, ahead: 2 });
    const first = await it.next();
    expect(first.value?.id).toBe('c0');
    // Two batches of 4 documents (4 MiB of tiles each) are in flight; far fewer than 100 documents were read.
    expect(pulled.n).toBeLessThanOrEqual(12);
    let n = 1;
    for await (const _ of it) n++;
    expect(n).toBe(100);
    expect(batches.every((b) => b <= 4)).toBe(true);
  });

  test('assembleSample: a video writes its Frame-i text before each frame', () => {
    const doc: MediaDocument = {
      id: 'v', source: 'clips', kind: 'video', provenance: { source: 'clips', file: 'a.mp4', location: 'clip' },
      segments: [{ type: 'video', video: { frames: [Uint8Array.of(1), Uint8Array.of(2)], frameIndices: [0, 5] } }],
    };
    const s = assembleSample(doc, [Int32Array.of(11, 12), Int32Array.of(13)], { special, eosId: null });
    expect(Array.from(s.inputIds.slice(0, 3))).toEqual([11, 12, special.imgStart]);
    expect(s.inputIds.length).toBe(2 + 258 + 1 + 258);
    expect(s.images.map((i) => i.start)).toEqual([2, 2 + 258 + 1]);
  });
});
