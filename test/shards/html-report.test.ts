import { describe, expect, test } from 'vitest';
import { renderHtmlReport, roundRobin } from '../../src/shards/html-report.js';
import { formatStatsTable } from '../../src/shards/report.js';
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
    expect(html).toContain('98.70 %');
    expect(html).toContain('<p id="mix-verdict" class="verdict">No ratio tolerance known for this run (stats.json has no mix verdict, index.json no validate.ratioTolerance): sources are not judged.</p>');
    expect(html).toMatch(/json\.malformed.*?>3</s);
    expect(html).toContain('Tiles per image');
    expect(html).toContain('12,345');
  });

  test('packing fill is shown as stats and validate show it: two decimals, "packing fill"', () => {
    expect(html).toContain('<div id="packing-fill">98.70 %<span>packing fill (tokens / (10 rows × 4096))</span>');
  });
});

describe('HTML report: mix verdict, image sizes, contact sheet', () => {
  const verdict = (within: Record<string, boolean>) => ({
    ok: false, tolerance: 0.02, onExhausted: 'renormalize', stoppedBy: 'sources',
    sources: Object.fromEntries(Object.entries(within).map(([k, w]) => [k, { target: 0.5, realised: k === 'a' ? 0.61 : 0.39, deviation: k === 'a' ? 0.11 : -0.11, epochs: 1, empty: false, ranDryAtTokens: null, withinTolerance: w }])),
  });
  const src = '<script>alert(1)</script>';

  test('sources outside the ratio tolerance are flagged in a summary line, in the table and in the plot', () => {
    const html = renderHtmlReport({ index, stats: { ...stats, mixVerdict: verdict({ a: false, [src]: true }) }, contactSheet: [] });
    expect(html).toContain('<p id="mix-verdict" class="verdict bad" role="alert">⚠ 1 of 2 sources outside ±2.00 points (validate.ratioTolerance): a (+11.00 points).</p>');
    expect(html).toMatch(/<tr class="outside"><td>a<\/td>.*⚠ outside tolerance<\/td><\/tr>/);
    expect(html.match(/<tr class="outside">/g)).toHaveLength(1);
    expect(html).toMatch(/<rect [^>]*fill="#c0392b" class="outside"><title>a: 61\.0 % \(target 50\.0 %\) OUTSIDE/);
    const ok = renderHtmlReport({ index, stats: { ...stats, mixVerdict: verdict({ a: true, [src]: true }) }, contactSheet: [] });
    expect(ok).toContain('<p id="mix-verdict" class="verdict ok">✔ All 2 sources within ±2.00 points (validate.ratioTolerance) of their target share.</p>');
    expect(ok).not.toContain('class="outside"');
    // Without a verdict (an older stats.json), the config's tolerance decides: 11 points > 10.
    const old = renderHtmlReport({ index: { ...index, config: { validate: { ratioTolerance: 0.1 } } }, stats, contactSheet: [] });
    expect(old).toContain('⚠ 2 of 2 sources outside ±10.00 points');
  });

  test('image sizes and aspect ratios are plotted from stats.json imageSizes; said so when absent', () => {
    const imageSizes = {
      count: 5, unknown: 1, meanPixels: 300000, width: { edges: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512], counts: [0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3] },
      height: { edges: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256], counts: [0, 0, 0, 0, 0, 0, 0, 0, 1, 4] },
      aspect: { edges: [0, 0.25], labels: ['<1:4', '≈1:1'], counts: [1, 4] },
    };
    const html = renderHtmlReport({ index, stats: { ...stats, imageSizes }, contactSheet: [] });
    expect(html).toMatch(/<figure id="plot-width" class="plot"><figcaption>Original image width, px \(5 images, mean 0\.30 megapixels\)<\/figcaption><svg[^>]*>(<rect[^>]*><title>(256–512|512–1024): [23]<\/title><\/rect>.*?){2}<\/svg>/);
    expect(html).toContain('<title>256–512: 4</title>');
    expect(html).toContain('<title>≈1:1: 4</title>');
    expect(html).toContain('1 images of a format whose size is not read from the header');
    expect(renderHtmlReport({ index, stats, contactSheet: [] })).toContain('id="no-image-sizes"');
  });

  test('captions beside their images; a clip is a strip of its frames', () => {
    const t = (k: number) => Uint8Array.from([k]);
    const html = renderHtmlReport({ index, stats, contactSheet: [
      { source: 'caps', id: 'c1', cols: 1, rows: 1, thumbnail: false, tiles: [t(1)], mime: 'image/jpeg', kind: 'image', caption: 'A <red> board', captionLabel: 'caption' },
      { source: 'vid', id: 'v1', cols: 3, rows: 1, thumbnail: false, tiles: [t(2), t(3), t(4)], mime: 'image/jpeg', kind: 'clip', caption: 'zoom', captionLabel: 'caption' },
    ] });
    expect(html).toMatch(/<figure class="sheet" data-source="caps"><div class="media">.*?<\/div><blockquote class="caption"><span>caption<\/span>A &lt;red&gt; board<\/blockquote><\/figure>/);
    expect(html).toMatch(/<figure class="sheet clip" data-source="vid">.*alt="frame 3".*vid · v1 · clip, 3 frames/);
  });

  test('`shardloom stats` says the same: packing fill with two decimals, and the sources outside the tolerance', () => {
    const table = formatStatsTable(index, { ...stats, mixVerdict: verdict({ a: false, [src]: true }) });
    expect(table).toContain('packing fill 98.70 % of 4096-token rows');
    expect(table).toContain('mix: 1 of 2 sources OUTSIDE ±2.00 points (validate.ratioTolerance): a (+11.00 points)');
    expect(formatStatsTable(index, { ...stats, mixVerdict: verdict({ a: true, [src]: true }) })).toContain('mix: all 2 sources within ±2.00 points');
  });

  test('the contact sheet takes sources in turn', () => {
    expect(roundRobin([['a1', 'a2', 'a3', 'a4'], ['b1'], ['c1', 'c2']], 5)).toEqual(['a1', 'b1', 'c1', 'a2', 'c2']);
    expect(roundRobin([['a1', 'a2'], []], 9)).toEqual(['a1', 'a2']);
  });
});
