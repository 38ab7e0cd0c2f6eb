import { describe, expect, test } from 'vitest';
import { renderHtmlReport } from '../../src/shards/html-report.js';
import type { IndexJson, StatsJson } from '../../src/shards/index-file.js';

const index = {
  formatVersion: '1', name: 'demo <b>', configHash: 'abc', complete: true, rank: 0, worldSize: 1,
  tokenizer: { name: 'qwen3', imgStart: 1, imgEnd: 2, imgContext: 3, vocabSize: 10 }, targets: { a: 0.5, '<script>alert(1)</script>': 0.5 }, shards: [],
  totals: { shards: 2, rows: 10, samples: 50, tokens: 12345, tiles: 7, bytes: 100, tokensBySource: {} }, config: {},
} as unknown as IndexJson;
const stats = {
  formatVersion: '1', records: { read: { a: 10 }, rejected: { a: 1 }, rejectFraction: 0.1 }, rejectsByReason: { 'json.malformed': 3, 'image.decode': 1 },
  share: { a: { target: 0.5, realised: 0.61, tokens: 100, textTokens: 90, samples: 5, epochs: 1 }, '<script>alert(1)</script>': { target: 0.5, realised: 0.39, tokens: 64, textTokens: 64, samples: 3, epochs: 2 } },
  packing: { rows: 10, maxTokens: 4096, fill: 0.987, fillHistogram: { edges: Array.from({ length: 21 }, (_, i) => i / 20), counts: [...Array(19).fill(0), 2, 8] }, chunksSplit: 0 },
  tokensPerSample: { edges: [0, 1, 2, 4, 8], counts: [0, 0, 1, 3, 4], mean: 7.5, max: 15 }, tilesPerImage: { '1': 3, '7': 1 }, mix: null,
} as unknown as StatsJson;

describe('HTML report', () => {
  const html = renderHtmlReport({ index, stats, contactSheet: [{ source: 's<x>', id: 'id"1', cols: 2, rows: 1, thumbnail: true, tiles: [Uint8Array.from([1]), Uint8Array.from([2]), Uint8Array.from([3])], mime: 'image/jpeg' }] });

  test('self-contained: no external scripts, styles, fonts or images; no script at all', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
    expect(html).not.toMatch(/<link /i);
    expect((html.match(/src="data:image\/jpeg;base64,/g) ?? []).length).toBe(3);
  });

  test('text from the data is escaped', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('demo &lt;b&gt;');
    expect(html).toContain('s&lt;x&gt; · id&quot;1 · 2×1');
  });

  test('the numbers are on the page: shares vs targets, fill, rejects, tiles per image', () => {
    expect(html).toContain('61.0 % (target 50.0 %)');
    expect(html).toContain('98.7 %');
    expect(html).toMatch(/json\.malformed.*?>3</s);
    expect(html).toContain('Tiles per image');
    expect(html).toContain('12,345');
  });
});
