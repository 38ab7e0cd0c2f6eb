/**
 * `stats DIR --html report.html`: one self-contained page (inline SVG, tiles as data: URIs, no scripts)
 * with the share per source against its target, the packing fill histogram, tokens per sample, tiles per
 * image, rejects by reason, and a contact sheet of the first images of the first rows.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexJson, StatsJson, Histogram } from './index-file.js';
import { readShardRows } from './parquet-io.js';

export interface SheetImage { source: string; id: string; cols: number; rows: number; thumbnail: boolean; tiles: Uint8Array[]; mime: string }

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** Horizontal bars; each row: label, value, optional target marker. */
function bars(title: string, rows: { label: string; value: number; text: string; target?: number }[], max = Math.max(1e-9, ...rows.map((r) => Math.max(r.value, r.target ?? 0)))): string {
  const W = 760, bar = 22, gap = 8, left = 170, right = 190;
  const H = rows.length * (bar + gap) + 10;
  const x = (v: number) => left + (v / max) * (W - left - right);
  const items = rows.map((r, i) => {
    const y = 5 + i * (bar + gap);
    const marker = r.target === undefined ? '' : `<line x1="${x(r.target)}" x2="${x(r.target)}" y1="${y - 3}" y2="${y + bar + 3}" stroke="#c0392b" stroke-width="3"><title>target ${esc(pct(r.target))}</title></line>`;
    return `<text x="${left - 8}" y="${y + bar / 2 + 5}" text-anchor="end">${esc(r.label)}</text>` +
      `<rect x="${left}" y="${y}" width="${Math.max(1, x(r.value) - left)}" height="${bar}" fill="#2e86c1"><title>${esc(r.label)}: ${esc(r.text)}</title></rect>${marker}` +
      `<text x="${x(Math.max(r.value, r.target ?? 0)) + 8}" y="${y + bar / 2 + 5}">${esc(r.text)}</text>`;
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${items.join('')}</svg></figure>`;
}

/** Vertical histogram columns. */
function histogram(title: string, labels: string[], counts: number[]): string {
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
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${cols.join('')}</svg></figure>`;
}

function log2Labels(h: Histogram): string[] {
  return h.edges.map((e, i) => (i === 0 ? '0' : `${e}–${h.edges[i + 1] ?? e * 2}`));
}

function sheet(images: SheetImage[]): string {
  if (images.length === 0) return '<p>No images in the first rows.</p>';
  return images
    .map((im) => {
      const url = (t: Uint8Array) => `data:${im.mime};base64,${Buffer.from(t).toString('base64')}`;
      const grid = im.tiles.slice(0, im.cols * im.rows).map((t, k) => `<img src="${url(t)}" alt="tile row ${Math.floor(k / im.cols)}, column ${k % im.cols}" width="96" height="96">`);
      const thumb = im.thumbnail ? `<div class="thumb"><img src="${url(im.tiles[im.tiles.length - 1])}" alt="thumbnail" width="96" height="96"><br>thumbnail</div>` : '';
      return `<div class="sheet"><div class="grid" style="grid-template-columns: repeat(${im.cols}, 96px)">${grid.join('')}</div>${thumb}<p>${esc(im.source)} · ${esc(im.id)} · ${im.cols}×${im.rows}</p></div>`;
    })
    .join('');
}

export function renderHtmlReport(r: { index: IndexJson; stats: StatsJson; contactSheet: SheetImage[] }): string {
  const { index, stats } = r;
  const t = index.totals;
  const share = Object.entries(stats.share).map(([name, s]) => ({ label: name, value: s.realised, target: s.target, text: `${pct(s.realised)} (target ${pct(s.target)})` }));
  const reasons = Object.entries(stats.rejectsByReason).sort((a, b) => b[1] - a[1]);
  const tiles = Object.entries(stats.tilesPerImage);
  const fillLabels = stats.packing.fillHistogram.edges.map((e) => `${Math.round(e * 100)}%`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shardloom report — ${esc(index.name)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font: 12px system-ui, sans-serif; fill: #222; }
table { border-collapse: collapse; } td, th { padding: .2rem .7rem; border-bottom: 1px solid #eee; text-align: right; } td:first-child, th:first-child { text-align: left; }
.sheet { display: inline-block; vertical-align: top; margin: 0 1.5rem 1.5rem 0; }
.grid { display: inline-grid; gap: 2px; } .grid img, .thumb img { display: block; }
.thumb { display: inline-block; margin-left: 8px; vertical-align: top; text-align: center; font-size: 12px; }
.sheet p { font-size: 12px; color: #555; margin: .3rem 0; max-width: 420px; overflow-wrap: anywhere; }
.totals { display: flex; flex-wrap: wrap; gap: 1.5rem; } .totals div { font-size: 1.3rem; } .totals span { display: block; font-size: .8rem; color: #666; }
</style></head><body>
<h1>shardloom report — ${esc(index.name)}</h1>
<p>config ${esc(index.configHash)} · ${index.complete === false ? '<strong>incomplete run</strong> · ' : ''}rank ${index.rank} of ${index.worldSize} · tokenizer ${esc(index.tokenizer.name)}</p>
<div class="totals">
<div>${t.shards}<span>shards</span></div><div>${t.rows}<span>rows</span></div><div>${t.samples}<span>samples</span></div>
<div>${t.tokens.toLocaleString('en')}<span>tokens</span></div><div>${t.tiles}<span>tiles</span></div><div>${pct(stats.packing.fill)}<span>packing fill (${stats.packing.maxTokens}-token rows)</span></div>
<div>${pct(stats.records.rejectFraction)}<span>records rejected</span></div>
</div>
<h2>Mix</h2>
${bars('Realised share of tokens per source (red line: target)', share, Math.max(...share.map((s) => Math.max(s.value, s.target)), 1e-9))}
<table><tr><th>source</th><th>target</th><th>realised</th><th>tokens</th><th>text tokens</th><th>samples</th><th>epochs</th></tr>
${Object.entries(stats.share).map(([n, s]) => `<tr><td>${esc(n)}</td><td>${pct(s.target)}</td><td>${pct(s.realised)}</td><td>${s.tokens}</td><td>${s.textTokens}</td><td>${s.samples}</td><td>${s.epochs}</td></tr>`).join('\n')}
</table>
<h2>Packing</h2>
${histogram('Rows by fill (share of the row’s token budget used)', fillLabels, stats.packing.fillHistogram.counts)}
<h2>Samples and images</h2>
${histogram(`Tokens per sample (mean ${Math.round(stats.tokensPerSample.mean)}, max ${stats.tokensPerSample.max})`, log2Labels(stats.tokensPerSample), stats.tokensPerSample.counts)}
${tiles.length ? histogram('Tiles per image', tiles.map(([k]) => k), tiles.map(([, v]) => v)) : '<p>No images.</p>'}
<h2>Rejects</h2>
${reasons.length ? bars('Rejected records by reason', reasons.map(([k, v]) => ({ label: k, value: v, text: String(v) }))) : '<p>No rejects.</p>'}
<h2>Contact sheet</h2>
${sheet(r.contactSheet)}
</body></html>
`;
}

/** Read a run directory and write its report. */
export async function writeHtmlReport(dir: string, outFile: string, index: IndexJson, stats: StatsJson, opts: { maxImages?: number } = {}): Promise<void> {
  const maxImages = opts.maxImages ?? 6;
  const images: SheetImage[] = [];
  const first = index.shards[0]?.files.find((f) => f.format === 'parquet') ?? index.shards[0]?.files[0];
  const encoding = (index.config as { images?: { encoding?: string } })?.images?.encoding ?? 'jpeg';
  const mime = encoding === 'png' ? 'image/png' : 'image/jpeg';
  if (first && encoding !== 'raw') {
    outer: for await (const r of readShardRows(join(dir, first.path))) {
      let t = 0, img = 0, at = 0;
      for (let s = 0; s < r.sampleLengths.length; s++) {
        const ids = r.inputIds.subarray(at, at + r.sampleLengths[s]);
        at += r.sampleLengths[s];
        const n = ids.filter((x) => x === index.tokenizer.imgStart).length;
        for (let k = 0; k < n; k++, img++) {
          const g = r.imageGrids[img];
          images.push({ source: r.sampleSources[s], id: r.sampleIds[s], ...g, tiles: r.tiles.slice(t, t + r.imageTiles[img]), mime });
          t += r.imageTiles[img];
          if (images.length >= maxImages) break outer;
        }
      }
    }
  }
  await writeFile(outFile, renderHtmlReport({ index, stats, contactSheet: images }));
}
