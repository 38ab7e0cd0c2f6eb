/**
 * `stats DIR --html report.html`: one self-contained page (inline SVG, tiles as data: URIs, no scripts)
 * with the mix verdict (sources outside `validate.ratioTolerance` flagged), the share per source against
 * its target, the packing fill histogram, tokens per sample, tiles per image, original image sizes and
 * aspect ratios, rejects by reason, and a contact sheet sampled round-robin across sources and samples
 * (a video clip is one entry: its frames as a strip), each image with its caption beside it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexJson, StatsJson, Histogram } from './index-file.js';
import { readShardRows } from './parquet-io.js';
import { FILL_LABEL, formatFill, type ImageSizes } from './run-stats.js';

export interface SheetImage {
  source: string; id: string; cols: number; rows: number; thumbnail: boolean; tiles: Uint8Array[]; mime: string;
  /** `clip`: the tiles are a video's frames, shown as a strip. */
  kind?: 'image' | 'clip';
  /** The text that follows the image in its sample: the caption of a caption pair or a clip, else the text after it. */
  caption?: string;
  /** What `caption` is: `caption` (caption pairs, clips) or `text after` (interleaved documents). */
  captionLabel?: string;
}

type Stats = StatsJson & { imageSizes?: ImageSizes };

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const points = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)} points`;
const BAD = '#c0392b';

/** Horizontal bars; each row: label, value, optional target marker, optionally flagged (drawn red). */
function bars(id: string, title: string, rows: { label: string; value: number; text: string; target?: number; flagged?: boolean }[], max = Math.max(1e-9, ...rows.map((r) => Math.max(r.value, r.target ?? 0)))): string {
  const W = 760, bar = 22, gap = 8, left = 170, right = 250;
  const H = rows.length * (bar + gap) + 10;
  const x = (v: number) => left + (v / max) * (W - left - right);
  const items = rows.map((r, i) => {
    const y = 5 + i * (bar + gap);
    const marker = r.target === undefined ? '' : `<line x1="${x(r.target)}" x2="${x(r.target)}" y1="${y - 3}" y2="${y + bar + 3}" stroke="#222" stroke-width="3" stroke-dasharray="4 2"><title>target ${esc(pct(r.target))}</title></line>`;
    return `<text x="${left - 8}" y="${y + bar / 2 + 5}" text-anchor="end"${r.flagged ? ` fill="${BAD}" font-weight="bold"` : ''}>${r.flagged ? '⚠ ' : ''}${esc(r.label)}</text>` +
      `<rect x="${left}" y="${y}" width="${Math.max(1, x(r.value) - left)}" height="${bar}" fill="${r.flagged ? BAD : '#2e86c1'}"${r.flagged ? ' class="outside"' : ''}><title>${esc(r.label)}: ${esc(r.text)}</title></rect>${marker}` +
      `<text x="${x(Math.max(r.value, r.target ?? 0)) + 8}" y="${y + bar / 2 + 5}"${r.flagged ? ` fill="${BAD}"` : ''}>${esc(r.text)}</text>`;
  });
  return `<figure id="${id}"><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${items.join('')}</svg></figure>`;
}

/** Vertical histogram columns. */
function histogram(id: string, title: string, labels: string[], counts: number[]): string {
  const W = 640, H = 200, bottom = 40, top = 20;
  const max = Math.max(1, ...counts);
  const w = (W - 20) / Math.max(1, counts.length);
  const cols = counts.map((c, i) => {
    const h = ((H - bottom - top) * c) / max;
    const x = 10 + i * w;
    return `<rect x="${x + 2}" y="${H - bottom - h}" width="${Math.max(1, w - 4)}" height="${h}" fill="#16a085"><title>${esc(labels[i])}: ${c}</title></rect>` +
      (c > 0 ? `<text x="${x + w / 2}" y="${H - bottom - h - 4}" text-anchor="middle" font-size="11">${c}</text>` : '') +
      `<text x="${x + w / 2}" y="${H - bottom + 14}" text-anchor="middle" font-size="10" transform="rotate(30 ${x + w / 2} ${H - bottom + 14})">${esc(labels[i])}</text>`;
  });
  return `<figure id="${id}" class="plot"><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${cols.join('')}</svg></figure>`;
}

function log2Labels(h: Histogram): string[] {
  return h.edges.map((e, i) => (i === 0 ? '0' : `${e}–${h.edges[i + 1] ?? e * 2}`));
}

/** Log2 buckets without the empty ones before the first and after the last count. */
function trimmed(h: Histogram): { labels: string[]; counts: number[] } {
  const labels = log2Labels(h);
  const first = h.counts.findIndex((c) => c > 0);
  if (first < 0) return { labels: [], counts: [] };
  let last = h.counts.length - 1;
  while (h.counts[last] === 0) last--;
  return { labels: labels.slice(first, last + 1), counts: h.counts.slice(first, last + 1) };
}

/** Sources outside the ratio tolerance (or empty): from the run's own verdict, else recomputed with the config's tolerance. */
export function mixFlags(index: IndexJson, stats: StatsJson): { tolerance: number | null; outside: Map<string, { deviation: number; empty: boolean }> } {
  const cfgTol = (index.config as { validate?: { ratioTolerance?: number } } | null)?.validate?.ratioTolerance;
  const tolerance = stats.mixVerdict?.tolerance ?? (typeof cfgTol === 'number' ? cfgTol : null);
  const outside = new Map<string, { deviation: number; empty: boolean }>();
  for (const [name, s] of Object.entries(stats.share)) {
    const v = stats.mixVerdict?.sources[name];
    const deviation = s.realised - s.target;
    const empty = v?.empty ?? s.samples === 0;
    const off = v ? !v.withinTolerance : tolerance !== null && Math.abs(deviation) > tolerance + 1e-12;
    if (off || empty) outside.set(name, { deviation, empty });
  }
  return { tolerance, outside };
}

function verdictLine(index: IndexJson, stats: StatsJson): string {
  const { tolerance, outside } = mixFlags(index, stats);
  const n = Object.keys(stats.share).length;
  if (tolerance === null && !stats.mixVerdict) {
    return '<p id="mix-verdict" class="verdict">No ratio tolerance known for this run (stats.json has no mix verdict, index.json no validate.ratioTolerance): sources are not judged.</p>';
  }
  const tol = tolerance === null ? 'the ratio tolerance' : `±${(tolerance * 100).toFixed(2)} points (validate.ratioTolerance)`;
  if (outside.size === 0) {
    return `<p id="mix-verdict" class="verdict ok">✔ All ${n} sources within ${tol} of their target share.</p>`;
  }
  const list = [...outside].map(([name, o]) => `${esc(name)} (${o.empty ? 'empty' : points(o.deviation)})`).join(', ');
  return `<p id="mix-verdict" class="verdict bad" role="alert">⚠ ${outside.size} of ${n} sources outside ${tol}: ${list}.</p>`;
}

function sheet(images: SheetImage[]): string {
  if (images.length === 0) return '<p>No images in the rows read.</p>';
  return images
    .map((im) => {
      const url = (t: Uint8Array) => `data:${im.mime};base64,${Buffer.from(t).toString('base64')}`;
      const clip = im.kind === 'clip';
      const px = clip ? 72 : 96;
      const n = clip ? im.tiles.length : im.cols * im.rows;
      const grid = im.tiles.slice(0, n).map((t, k) => `<img src="${url(t)}" alt="${clip ? `frame ${k + 1}` : `tile row ${Math.floor(k / im.cols)}, column ${k % im.cols}`}" width="${px}" height="${px}">`);
      const thumb = !clip && im.thumbnail && im.tiles.length > n ? `<div class="thumb"><img src="${url(im.tiles[im.tiles.length - 1])}" alt="thumbnail" width="${px}" height="${px}"><br>thumbnail</div>` : '';
      const what = clip ? `clip, ${im.tiles.length} frames` : `${im.cols}×${im.rows}`;
      const caption = im.caption ? `<blockquote class="caption"><span>${esc(im.captionLabel ?? 'caption')}</span>${esc(im.caption)}</blockquote>` : '';
      return `<figure class="sheet${clip ? ' clip' : ''}" data-source="${esc(im.source)}"><div class="media"><div class="grid" style="grid-template-columns: repeat(${clip ? n : im.cols}, ${px}px)">${grid.join('')}</div>${thumb}` +
        `<p>${esc(im.source)} · ${esc(im.id)} · ${what}</p></div>${caption}</figure>`;
    })
    .join('\n');
}

export function renderHtmlReport(r: { index: IndexJson; stats: Stats; contactSheet: SheetImage[] }): string {
  const { index, stats } = r;
  const t = index.totals;
  const { outside } = mixFlags(index, stats);
  const share = Object.entries(stats.share).map(([name, s]) => ({
    label: name, value: s.realised, target: s.target, flagged: outside.has(name),
    text: `${pct(s.realised)} (target ${pct(s.target)})${outside.has(name) ? ' OUTSIDE' : ''}`,
  }));
  const reasons = Object.entries(stats.rejectsByReason).sort((a, b) => b[1] - a[1]);
  const tiles = Object.entries(stats.tilesPerImage);
  const fillLabels = stats.packing.fillHistogram.edges.map((e) => `${Math.round(e * 100)}%`);
  const sizes = stats.imageSizes;
  const fill = formatFill(stats.packing.fill);
  const sheetSources = [...new Set(r.contactSheet.map((s) => s.source))];
  let imagesHtml = tiles.length ? histogram('plot-tiles', 'Tiles per image (thumbnail included)', tiles.map(([k]) => k), tiles.map(([, v]) => v)) : '<p>No images.</p>';
  if (sizes && sizes.count > 0) {
    const w = trimmed(sizes.width), h = trimmed(sizes.height);
    imagesHtml += `<div class="pair">${histogram('plot-width', `Original image width, px (${sizes.count} images, mean ${(sizes.meanPixels / 1e6).toFixed(2)} megapixels)`, w.labels, w.counts)}` +
      `${histogram('plot-height', 'Original image height, px', h.labels, h.counts)}</div>` +
      histogram('plot-aspect', 'Aspect ratio of the original images (width : height)', sizes.aspect.labels, sizes.aspect.counts) +
      (sizes.unknown ? `<p>${sizes.unknown} images of a format whose size is not read from the header (not plotted).</p>` : '');
  } else if (tiles.length) {
    imagesHtml += '<p id="no-image-sizes">Original image sizes were not recorded for this run (stats.json has no <code>imageSizes</code>).</p>';
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shardloom report — ${esc(index.name)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font: 12px system-ui, sans-serif; fill: #222; }
table { border-collapse: collapse; } td, th { padding: .2rem .7rem; border-bottom: 1px solid #eee; text-align: right; } td:first-child, th:first-child { text-align: left; }
tr.outside td { color: ${BAD}; font-weight: 600; background: #fdecea; }
.verdict { padding: .5rem .8rem; border-radius: 4px; font-weight: 600; } .verdict.ok { background: #e8f6ef; color: #1e7e4a; } .verdict.bad { background: #fdecea; color: ${BAD}; border: 2px solid ${BAD}; }
.pair { display: flex; flex-wrap: wrap; gap: 1rem; } .pair svg { width: 100%; max-width: 520px; height: auto; }
.sheet { display: flex; gap: 1rem; align-items: flex-start; margin: 0 0 1.5rem 0; }
.media { flex: none; } .grid { display: inline-grid; gap: 2px; vertical-align: top; } .grid img, .thumb img { display: block; }
.thumb { display: inline-block; margin-left: 8px; vertical-align: top; text-align: center; font-size: 12px; }
.sheet p { font-size: 12px; color: #555; margin: .3rem 0; max-width: 600px; overflow-wrap: anywhere; }
.caption { margin: 0; padding: .4rem .8rem; border-left: 3px solid #2e86c1; background: #f5f8fb; max-width: 420px; overflow-wrap: anywhere; font-size: 14px; }
.caption span { display: block; font-size: 11px; text-transform: uppercase; color: #666; letter-spacing: .04em; }
.totals { display: flex; flex-wrap: wrap; gap: 1.5rem; } .totals div { font-size: 1.3rem; } .totals span { display: block; font-size: .8rem; color: #666; }
</style></head><body>
<h1>shardloom report — ${esc(index.name)}</h1>
<p>config ${esc(index.configHash)} · ${index.complete === false ? '<strong>incomplete run</strong> · ' : ''}rank ${index.rank} of ${index.worldSize} · tokenizer ${esc(index.tokenizer.name)}</p>
${verdictLine(index, stats)}
<div class="totals">
<div>${t.shards}<span>shards</span></div><div>${t.rows}<span>rows</span></div><div>${t.samples}<span>samples</span></div>
<div>${t.tokens.toLocaleString('en')}<span>tokens</span></div><div>${t.tiles}<span>tiles</span></div><div id="packing-fill">${fill}<span>${FILL_LABEL} (tokens / (${stats.packing.rows} rows × ${stats.packing.maxTokens}))</span></div>
<div>${pct(stats.records.rejectFraction)}<span>records rejected</span></div>
</div>
<h2>Mix</h2>
${bars('plot-share', 'Realised share of tokens per source (dashed line: target; red: outside the ratio tolerance)', share, Math.max(...share.map((s) => Math.max(s.value, s.target)), 1e-9))}
<table id="share-table"><tr><th>source</th><th>target</th><th>realised</th><th>deviation</th><th>tokens</th><th>text tokens</th><th>samples</th><th>epochs</th><th>verdict</th></tr>
${Object.entries(stats.share).map(([n, s]) => `<tr${outside.has(n) ? ' class="outside"' : ''}><td>${esc(n)}</td><td>${pct(s.target)}</td><td>${pct(s.realised)}</td><td>${points(s.realised - s.target)}</td><td>${s.tokens}</td><td>${s.textTokens}</td><td>${s.samples}</td><td>${s.epochs}</td><td>${outside.has(n) ? (outside.get(n)!.empty ? '⚠ empty' : '⚠ outside tolerance') : 'ok'}</td></tr>`).join('\n')}
</table>
<h2>Packing</h2>
<p>${FILL_LABEL} ${fill}: the tokens of every row over ${stats.packing.rows} rows × ${stats.packing.maxTokens} tokens (the run's last rows included).</p>
${histogram('plot-fill', 'Rows by fill (share of the row’s token budget used)', fillLabels, stats.packing.fillHistogram.counts)}
<h2>Samples and images</h2>
${histogram('plot-tokens', `Tokens per sample (mean ${Math.round(stats.tokensPerSample.mean)}, max ${stats.tokensPerSample.max})`, log2Labels(stats.tokensPerSample), stats.tokensPerSample.counts)}
${imagesHtml}
<h2>Rejects</h2>
${reasons.length ? bars('plot-rejects', 'Rejected records by reason', reasons.map(([k, v]) => ({ label: k, value: v, text: String(v) }))) : '<p>No rejects.</p>'}
<h2>Contact sheet</h2>
<section id="contact-sheet">
<p>${r.contactSheet.length} images${sheetSources.length ? ` from ${sheetSources.length} sources (${sheetSources.map(esc).join(', ')}), taken in turn` : ''}: each laid out as its grid with its thumbnail, a clip as its frames, with the text that follows it.</p>
${sheet(r.contactSheet)}
</section>
</body></html>
`;
}

/** Take items in turn from each list (round-robin), up to `max`. */
export function roundRobin<T>(lists: T[][], max: number): T[] {
  const out: T[] = [];
  for (let k = 0; out.length < max && lists.some((l) => k < l.length); k++) {
    for (const l of lists) if (k < l.length && out.length < max) out.push(l[k]);
  }
  return out;
}

const strip = (s: string) => s.replace(/<\|endoftext\|>/g, '').replace(/\s+/g, ' ').trim();

/**
 * Read a run directory and write its report. The contact sheet is sampled across sources: rows are read
 * (up to `maxRows`) until every source with images has `maxImages` candidates, one per sample (a video clip
 * is one candidate); then sources are taken in turn.
 */
export async function writeHtmlReport(dir: string, outFile: string, index: IndexJson, stats: StatsJson, opts: { maxImages?: number; maxRows?: number } = {}): Promise<void> {
  const maxImages = opts.maxImages ?? 12;
  const maxRows = opts.maxRows ?? 512;
  const config = (index.config ?? {}) as { images?: { encoding?: string }; sources?: { name: string; kind: string }[] };
  const encoding = config.images?.encoding ?? 'jpeg';
  const mime = encoding === 'png' ? 'image/png' : 'image/jpeg';
  const kinds = new Map((config.sources ?? []).map((s) => [s.name, s.kind]));
  const withImages = [...kinds].filter(([, k]) => k !== 'text').map(([n]) => n);
  const bySource = new Map<string, (SheetImage & { textIds?: Int32Array; textBefore?: Int32Array })[]>();
  const seen = new Set<string>();
  const full = () => withImages.length > 0 && withImages.every((s) => (bySource.get(s)?.length ?? 0) >= maxImages);
  const { imgStart, imgEnd } = index.tokenizer;
  let rowsRead = 0;
  if (encoding !== 'raw') {
    outer: for (const shard of index.shards) {
      const file = shard.files.find((f) => f.format === 'parquet') ?? shard.files[0];
      if (!file) continue;
      for await (const r of readShardRows(join(dir, file.path))) {
        if (rowsRead++ >= maxRows || full()) break outer;
        let t = 0, img = 0, at = 0;
        for (let s = 0; s < r.sampleLengths.length; s++) {
          const ids = r.inputIds.subarray(at, at + r.sampleLengths[s]);
          at += r.sampleLengths[s];
          const source = r.sampleSources[s];
          const spans: { start: number; end: number; img: number; tile: number }[] = [];
          for (let i = 0; i < ids.length; i++) {
            if (ids[i] !== imgStart) continue;
            let e = i + 1;
            while (e < ids.length && ids[e] !== imgEnd) e++;
            spans.push({ start: i, end: e, img, tile: t });
            t += r.imageTiles[img] ?? 0;
            img++;
            i = e;
          }
          const key = `${source}\u0000${r.sampleIds[s].replace(/#\d+(@e\d+)?$/, '')}`;
          const list = bySource.get(source) ?? [];
          if (spans.length === 0 || seen.has(key) || list.length >= maxImages) continue;
          seen.add(key);
          bySource.set(source, list);
          const last = spans[spans.length - 1];
          if (kinds.get(source) === 'video') {
            const frames = spans.flatMap((sp) => r.tiles.slice(sp.tile, sp.tile + (r.imageTiles[sp.img] ?? 0)));
            list.push({ source, id: r.sampleIds[s], kind: 'clip', cols: frames.length, rows: 1, thumbnail: false, tiles: frames, mime, captionLabel: 'caption', textIds: ids.slice(last.end + 1) });
          } else {
            const sp = spans[0];
            const g = r.imageGrids[sp.img];
            const next = spans[1]?.start ?? ids.length;
            list.push({
              source, id: r.sampleIds[s], kind: 'image', cols: g.cols, rows: g.rows, thumbnail: g.thumbnail, tiles: r.tiles.slice(sp.tile, sp.tile + r.imageTiles[sp.img]), mime,
              captionLabel: kinds.get(source) === 'caption' ? 'caption' : 'text after', textIds: ids.slice(sp.end + 1, next), textBefore: ids.slice(0, sp.start),
            });
          }
        }
      }
    }
  }
  // Captions: decoded with the run's tokenizer preset; without one (a tokenizer.json run) the sheet has none.
  const named = index.tokenizer.name;
  const tok = named === 'internvl3' || named === 'qwen3'
    ? await import('../tokenize/tokenizer.js').then((m) => m.loadTokenizer({ name: named })).catch(() => null)
    : null;
  const order = [...bySource.keys()].sort((a, b) => withImages.indexOf(a) - withImages.indexOf(b) || (a < b ? -1 : 1));
  const images = roundRobin(order.map((s) => bySource.get(s)!), maxImages).map(({ textIds, textBefore, ...im }) => {
    let caption = tok && textIds ? strip(tok.decode(textIds)) : '';
    // An image that ends its document: the text before it (its last 300 characters) stands beside it.
    if (!caption && tok && textBefore?.length) {
      caption = strip(tok.decode(textBefore));
      if (caption.length > 300) caption = '… ' + caption.slice(-300);
      if (caption) im = { ...im, captionLabel: 'text before' };
    }
    if (caption.length > 300) caption = caption.slice(0, 300) + ' …';
    return caption ? { ...im, caption } : im;
  });
  await writeFile(outFile, renderHtmlReport({ index, stats, contactSheet: images }));
}
