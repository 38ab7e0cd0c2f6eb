/** Plain-text tables of a run's statistics (for `run` and `stats`). */
import type { IndexJson, StatsJson } from './index-file.js';
import { fmt } from '../core/progress.js';
import { FILL_LABEL, formatFill } from './run-stats.js';

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(cells[0]), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const pct = (x: number) => (100 * x).toFixed(2) + ' %';

export function formatStatsTable(index: IndexJson, stats: StatsJson): string {
  const t = index.totals;
  const out: string[] = [];
  out.push(`${t.shards} shards, ${t.rows} rows, ${t.samples} samples, ${fmt(t.tokens)} tokens, ${t.tiles} tiles, ${fmt(t.bytes)}B on disk`);
  out.push(`${FILL_LABEL} ${formatFill(stats.packing.fill)} of ${stats.packing.maxTokens}-token rows; ${stats.packing.chunksSplit} chunks of split samples`);
  out.push('');
  out.push(
    table(
      ['source', 'target', 'realised', 'tokens', 'text tokens', 'samples', 'read', 'rejected'],
      Object.entries(stats.share).map(([name, s]) => [name, pct(s.target), pct(s.realised), s.tokens, s.textTokens, s.samples, stats.records.read[name] ?? 0, stats.records.rejected[name] ?? 0]),
    ),
  );
  const v = stats.mixVerdict;
  if (v) {
    out.push('');
    const off = Object.entries(v.sources).filter(([, x]) => !x.withinTolerance || x.empty);
    const tol = `±${(v.tolerance * 100).toFixed(2)} points (validate.ratioTolerance)`;
    out.push(off.length === 0
      ? `mix: all ${Object.keys(v.sources).length} sources within ${tol} of their target`
      : `mix: ${off.length} of ${Object.keys(v.sources).length} sources OUTSIDE ${tol}: ` + off.map(([n, x]) => `${n} (${x.empty ? 'empty' : `${x.deviation >= 0 ? '+' : '-'}${Math.abs(x.deviation * 100).toFixed(2)} points`})`).join(', '));
  }
  const img = stats.images ?? {};
  if (Object.keys(img).length > 0) {
    out.push('');
    out.push(`images: ${img.tiled ?? 0} tiled, ${img.dropped ?? 0} dropped` + Object.entries(img).filter(([k]) => k.startsWith('dropped.')).map(([k, v]) => `; ${k.slice(8)} ${v}`).join(''));
  }
  const reasons = Object.entries(stats.rejectsByReason);
  if (reasons.length > 0) {
    out.push('');
    out.push(table(['reject reason', 'count'], reasons.sort((a, b) => b[1] - a[1])));
  }
  return out.join('\n');
}
