import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { mergeRuns, mergeStats, type MergedIndexJson } from '../../src/scale/merge.js';
import { mergeCommand } from '../../src/cli/merge.js';
import { ShardloomError } from '../../src/core/errors.js';
import { FORMAT_VERSION, type IndexJson, type StatsJson } from '../../src/shards/index-file.js';
import type { ShardRecord } from '../../src/shards/writer.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir();
let seq = 0;
const fresh = () => join(root, `case-${seq++}`);

interface FakeShard { rows: number; tokens: number; tiles?: number; samples: number; tokensBySource: Record<string, number> }
interface FakeRank {
  rank: number; worldSize: number; hash?: string; complete?: boolean; shards: FakeShard[];
  rejects?: string; read?: Record<string, number>; rejected?: Record<string, number>; fill?: number; tps?: { counts: number[]; mean: number; max: number }; tiles?: Record<string, number>;
}

/** Write one rank's output by hand: dummy shard files, index.json, stats.json, rejects.jsonl. */
function writeRank(dir: string, r: FakeRank): void {
  mkdirSync(dir, { recursive: true });
  const shards: ShardRecord[] = r.shards.map((s, i) => {
    const path = `part-${String(i).padStart(5, '0')}.parquet`;
    const body = `rank ${r.rank} shard ${i}\n`;
    writeFileSync(join(dir, path), body);
    return { index: i, rows: s.rows, tokens: s.tokens, tiles: s.tiles ?? 0, samples: s.samples, tokensBySource: s.tokensBySource, files: [{ path, format: 'parquet', bytes: body.length, sha256: 'f'.repeat(64) }] };
  });
  const sum = (f: (s: FakeShard) => number) => r.shards.reduce((a, s) => a + f(s), 0);
  const bySource: Record<string, number> = {};
  for (const s of r.shards) for (const [k, v] of Object.entries(s.tokensBySource)) bySource[k] = (bySource[k] ?? 0) + v;
  const index: IndexJson = {
    formatVersion: FORMAT_VERSION, name: 'fake', configHash: r.hash ?? 'aaaa000011112222', complete: r.complete ?? true, rank: r.rank, worldSize: r.worldSize,
    tokenizer: { name: 'qwen3', imgStart: 1, imgEnd: 2, imgContext: 3, vocabSize: 100 },
    targets: { books: 0.4, web: 0.6 }, shards,
    totals: { shards: shards.length, rows: sum((s) => s.rows), samples: sum((s) => s.samples), tokens: sum((s) => s.tokens), tiles: sum((s) => s.tiles ?? 0), bytes: shards.reduce((a, s) => a + s.files[0].bytes, 0), tokensBySource: bySource },
    config: { name: 'fake', pack: { maxTokens: 100 } },
  };
  const rows = sum((s) => s.rows);
  const tps = r.tps ?? { counts: [0, 1, 2], mean: 1.5, max: 3 };
  const stats: StatsJson = {
    formatVersion: FORMAT_VERSION,
    records: { read: r.read ?? { books: 10, web: 20 }, rejected: r.rejected ?? { books: 0, web: 1 }, rejectFraction: 0 },
    rejectsByReason: { 'json.malformed': 1 },
    share: Object.fromEntries(['books', 'web'].map((k) => [k, { target: k === 'web' ? 0.6 : 0.4, realised: 0, tokens: bySource[k] ?? 0, textTokens: bySource[k] ?? 0, samples: 1, epochs: 1 }])),
    packing: { rows, maxTokens: 100, fill: r.fill ?? 0.5, fillHistogram: { edges: [0, 0.5, 1], counts: [0, rows, 0] }, chunksSplit: 1 },
    tokensPerSample: { edges: tps.counts.map((_, i) => (i === 0 ? 0 : 2 ** (i - 1))), ...tps },
    tilesPerImage: r.tiles ?? { '1': 2 },
    mix: { tokens: bySource, samples: { books: 1, web: 1 }, epochs: { books: 1, web: r.rank + 1 }, exhausted: [{ source: 'books', atTokens: 5 }], stoppedBy: 'sources' },
  };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2));
  writeFileSync(join(dir, 'stats.json'), JSON.stringify(stats, null, 2));
  if (r.rejects !== undefined) writeFileSync(join(dir, 'rejects.jsonl'), r.rejects);
}

const rankDir = (out: string, k: number) => join(out, `rank-${String(k).padStart(5, '0')}`);
const shard = (rows: number, web: number, books: number): FakeShard => ({ rows, tokens: web + books, samples: rows * 2, tokensBySource: { books, web } });

function threeRanks(out: string): void {
  writeRank(rankDir(out, 0), { rank: 0, worldSize: 3, shards: [shard(2, 100, 50), shard(1, 30, 0)], fill: 0.6, rejects: '{"r":0,"a":1}\n{"r":0,"a":2}\n' });
  writeRank(rankDir(out, 1), { rank: 1, worldSize: 3, shards: [shard(4, 200, 120)], fill: 0.8, rejects: '{"r":1}', tps: { counts: [1, 0, 3, 4], mean: 5, max: 7 }, tiles: { '10': 1, '2': 4 } });
  writeRank(rankDir(out, 2), { rank: 2, worldSize: 3, shards: [], fill: 0 });
}

async function refusal(p: Promise<unknown>): Promise<ShardloomError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ShardloomError);
  // main.ts turns these codes into exit status 2 (usage / refusal).
  expect(['USAGE', 'OUTPUT_CONFLICT']).toContain((e as ShardloomError).code);
  return e as ShardloomError;
}

describe('mergeRuns over OUT/rank-*', () => {
  const out = fresh();
  threeRanks(out);
  let merged: MergedIndexJson;

  test('one index: shards in rank order, global indexes, paths relative to OUT, totals recomputed', async () => {
    const res = await mergeRuns(out);
    merged = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(merged).toEqual(JSON.parse(JSON.stringify(res.index)));
    expect(merged.complete).toBe(true);
    expect(merged.worldSize).toBe(3);
    expect(merged.configHash).toBe('aaaa000011112222');
    expect(merged.config).toEqual({ name: 'fake', pack: { maxTokens: 100 } });
    expect((merged as unknown as { rank?: number }).rank).toBeUndefined();
    expect(merged.shards.map((s) => [s.index, s.rank, s.files[0].path])).toEqual([
      [0, 0, 'rank-00000/part-00000.parquet'],
      [1, 0, 'rank-00000/part-00001.parquet'],
      [2, 1, 'rank-00001/part-00000.parquet'],
    ]);
    for (const s of merged.shards) expect(readFileSync(join(out, s.files[0].path), 'utf8')).toMatch(/^rank \d shard \d\n$/);
    expect(merged.totals).toEqual({ shards: 3, rows: 7, samples: 14, tokens: 500, tiles: 0, bytes: 3 * 'rank 0 shard 0\n'.length, tokensBySource: { books: 170, web: 330 } });
    expect(merged.ranks).toEqual([
      { rank: 0, dir: 'rank-00000', complete: true, shards: 2, rows: 3, tokens: 180 },
      { rank: 1, dir: 'rank-00001', complete: true, shards: 1, rows: 4, tokens: 320 },
      { rank: 2, dir: 'rank-00002', complete: true, shards: 0, rows: 0, tokens: 0 },
    ]);
  });

  test('stats: counters summed, shares and fill recomputed, histograms added bucket-wise', () => {
    const stats: StatsJson = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(stats.records).toEqual({ read: { books: 30, web: 60 }, rejected: { books: 0, web: 3 }, rejectFraction: 3 / 90 });
    expect(stats.rejectsByReason).toEqual({ 'json.malformed': 3 });
    expect(stats.share.web).toEqual({ target: 0.6, realised: 330 / 500, tokens: 330, textTokens: 330, samples: 3, epochs: 1 });
    expect(stats.share.books.realised).toBeCloseTo(170 / 500, 12);
    // fill: rank 0 had 3 rows at 0.6 (180 tokens), rank 1 4 rows at 0.8 (320 tokens) → 500 / 700.
    expect(stats.packing).toEqual({ rows: 7, maxTokens: 100, fill: 500 / 700, fillHistogram: { edges: [0, 0.5, 1], counts: [0, 7, 0] }, chunksSplit: 3 });
    expect(stats.tokensPerSample).toEqual({ edges: [0, 1, 2, 4], counts: [1, 2, 7, 4], mean: (1.5 * 3 + 5 * 8 + 1.5 * 3) / 14, max: 7 });
    expect(Object.entries(stats.tilesPerImage)).toEqual([['1', 4], ['2', 4], ['10', 1]]);
    expect(stats.mix).toMatchObject({ epochs: { books: 1, web: 3 }, exhausted: [{ rank: 0, source: 'books', atTokens: 5 }, { rank: 1, source: 'books', atTokens: 5 }, { rank: 2, source: 'books', atTokens: 5 }] });
  });

  test('rejects are concatenated in rank order, each file ending in a newline', () => {
    expect(readFileSync(join(out, 'rejects.jsonl'), 'utf8')).toBe('{"r":0,"a":1}\n{"r":0,"a":2}\n{"r":1}\n');
    expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('deterministic: merging again gives the same bytes', async () => {
    const before = ['index.json', 'stats.json', 'rejects.jsonl'].map((f) => readFileSync(join(out, f)));
    await mergeRuns(out);
    expect(['index.json', 'stats.json', 'rejects.jsonl'].map((f) => readFileSync(join(out, f)))).toEqual(before);
  });

  test('a single rank merges into its own stats (round trip)', () => {
    const dir = rankDir(out, 1);
    const stats: StatsJson = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8'));
    stats.share.web.realised = 200 / 320;
    stats.share.books.realised = 120 / 320;
    stats.records.rejectFraction = 1 / 30;
    const again = mergeStats([{ rank: 1, stats }]);
    expect({ ...again, mix: null }).toEqual({ ...stats, mix: null });
  });
});

describe('merged stats keep what the report and validate read', () => {
  // Two ranks' stats as a real run writes them: image counters, original image sizes, text tokens per
  // sample and the mix verdict (tolerance 0.05). Rank 0 alone is outside tolerance, the merged run is not.
  const hist = (counts: number[]) => ({ edges: counts.map((_, i) => (i === 0 ? 0 : 2 ** (i - 1))), counts });
  const rankStats = (rank: number, web: number, books: number, sizes: { count: number; meanPixels: number; width: number[]; height: number[]; aspect: number[] }, ranDry: number | null) => {
    const total = web + books;
    const share = { books: { target: 0.4, realised: books / total, tokens: books, textTokens: books, samples: 2, epochs: 1 }, web: { target: 0.6, realised: web / total, tokens: web, textTokens: web - 10, samples: 3, epochs: 1 } };
    const verdictOf = (name: 'books' | 'web') => ({ target: share[name].target, realised: share[name].realised, deviation: share[name].realised - share[name].target, epochs: 1, empty: false, ranDryAtTokens: name === 'books' ? ranDry : null, withinTolerance: Math.abs(share[name].realised - share[name].target) <= 0.05 });
    return {
      rank,
      stats: {
        formatVersion: FORMAT_VERSION,
        images: { tiled: sizes.count, dropped: rank, 'dropped.missing': rank },
        records: { read: { books: 2, web: 3 }, rejected: { books: 0, web: 0 }, rejectFraction: 0 },
        rejectsByReason: {},
        share,
        packing: { rows: 1, maxTokens: 1000, fill: total / 1000, fillHistogram: { edges: [0, 0.5, 1], counts: [0, 1, 0] }, chunksSplit: 0 },
        tokensPerSample: { ...hist([0, 0, 5]), mean: total / 5, max: 3 },
        textTokensPerSample: { ...hist(rank === 0 ? [0, 5] : [0, 4, 1]), mean: 1 + rank, max: 1 + rank },
        tilesPerImage: { '7': sizes.count },
        imageSizes: { count: sizes.count, unknown: rank, meanPixels: sizes.meanPixels, width: hist(sizes.width), height: hist(sizes.height), aspect: { edges: [0, 1, 2], labels: ['narrow', 'square', 'wide'], counts: sizes.aspect } },
        mix: { tokens: { books, web }, samples: { books: 2, web: 3 }, epochs: { books: 1, web: 1 }, exhausted: ranDry === null ? [] : [{ source: 'books', atTokens: ranDry }], stoppedBy: rank === 0 ? 'sources' : 'totalTokens' },
        mixVerdict: { ok: verdictOf('books').withinTolerance && verdictOf('web').withinTolerance, tolerance: 0.05, onExhausted: 'renormalize', stoppedBy: rank === 0 ? 'sources' : 'totalTokens', sources: { books: verdictOf('books'), web: verdictOf('web') } },
        limit: 3,
      } as StatsJson & { limit: number },
    };
  };
  const ranks = [
    rankStats(0, 300, 100, { count: 4, meanPixels: 1000, width: [0, 1, 3], height: [0, 4], aspect: [1, 2, 1] }, 100),
    rankStats(1, 300, 300, { count: 2, meanPixels: 4000, width: [0, 2], height: [0, 1, 1], aspect: [0, 0, 2] }, null),
  ];

  test('image counters, image sizes and text tokens per sample are added; the verdict is judged on the merged shares', () => {
    const m = mergeStats(ranks) as StatsJson & { imageSizes: { count: number; unknown: number; meanPixels: number; width: unknown; height: unknown; aspect: { counts: number[]; labels: string[] } } };
    expect(m.images).toEqual({ dropped: 1, 'dropped.missing': 1, tiled: 6 });
    expect(m.imageSizes.count).toBe(6);
    expect(m.imageSizes.unknown).toBe(1);
    expect(m.imageSizes.meanPixels).toBe(2000); // (4 × 1000 + 2 × 4000) / 6
    expect(m.imageSizes.width).toEqual({ edges: [0, 1, 2], counts: [0, 3, 3] });
    expect(m.imageSizes.height).toEqual({ edges: [0, 1, 2], counts: [0, 5, 1] });
    expect(m.imageSizes.aspect).toEqual({ edges: [0, 1, 2], labels: ['narrow', 'square', 'wide'], counts: [1, 2, 3] });
    expect(m.textTokensPerSample).toEqual({ edges: [0, 1, 2], counts: [0, 9, 1], mean: (1 * 5 + 2 * 5) / 10, max: 2 });
    // Rank 0 alone: books 25 % of a 40 % target (outside ±5 points); merged: 400 / 1000 = 40 %.
    expect(ranks[0].stats.mixVerdict!.ok).toBe(false);
    const v = m.mixVerdict!;
    expect(v.ok).toBe(true);
    expect(v.tolerance).toBe(0.05);
    expect(v.onExhausted).toBe('renormalize');
    expect(v.sources.books).toMatchObject({ realised: 0.4, withinTolerance: true, ranDryAtTokens: 100, empty: false });
    expect(v.sources.web.ranDryAtTokens).toBeNull();
    expect(v.stoppedBy).toBe('rank 0: sources, rank 1: totalTokens');
  });

  test('a merged run outside tolerance says so', () => {
    const skewed = [ranks[0], rankStats(1, 500, 20, { count: 1, meanPixels: 10, width: [1], height: [1], aspect: [1, 0, 0] }, null)];
    const v = mergeStats(skewed).mixVerdict!;
    expect(v.ok).toBe(false);
    expect(v.sources.books.withinTolerance).toBe(false);
    expect(v.sources.books.deviation).toBeCloseTo(120 / 920 - 0.4, 12);
  });

  test('merging one rank gives back its image sizes, counters and verdict', () => {
    const one = mergeStats([ranks[1]]) as StatsJson & { imageSizes: unknown };
    const own = ranks[1].stats as unknown as StatsJson & { imageSizes: unknown };
    expect(one.imageSizes).toEqual(own.imageSizes);
    expect(one.images).toEqual(own.images);
    expect(one.textTokensPerSample).toEqual(own.textTokensPerSample);
    expect(one.mixVerdict).toEqual(own.mixVerdict);
  });

  test('a smoke run (--limit) stays marked as one in the merged index and stats', async () => {
    const base = fresh();
    for (const k of [0, 1]) {
      writeRank(rankDir(base, k), { rank: k, worldSize: 2, hash: 'aaaa000011112222-limit3', shards: [shard(1, 10, 5)] });
      for (const f of ['index.json', 'stats.json']) {
        const p = join(rankDir(base, k), f);
        writeFileSync(p, JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), limit: 3 }));
      }
    }
    const r = await mergeRuns(base);
    expect((r.index as { limit?: number }).limit).toBe(3);
    expect(JSON.parse(readFileSync(join(base, 'stats.json'), 'utf8')).limit).toBe(3);
    expect(JSON.parse(readFileSync(join(base, 'index.json'), 'utf8')).limit).toBe(3);
  });
});

describe('mergeRuns --from: rank directories anywhere', () => {
  test('paths in the merged index are relative to OUT', async () => {
    const base = fresh();
    writeRank(join(base, 'a', 'r1'), { rank: 1, worldSize: 2, shards: [shard(1, 10, 0)] });
    writeRank(join(base, 'b', 'r0'), { rank: 0, worldSize: 2, shards: [shard(1, 5, 5)] });
    const out = join(base, 'merged');
    const res = await mergeRuns(out, { from: [join(base, 'a', 'r1'), join(base, 'b', 'r0')] });
    expect(res.index.shards.map((s) => s.files[0].path)).toEqual(['../b/r0/part-00000.parquet', '../a/r1/part-00000.parquet']);
    expect(res.index.ranks.map((r) => r.dir)).toEqual(['../b/r0', '../a/r1']);
    for (const s of res.index.shards) expect(existsSync(join(out, s.files[0].path))).toBe(true);
    expect(existsSync(join(out, 'rejects.jsonl'))).toBe(true);
  });
});

describe('refusals', () => {
  test('ranks of different configs: names the ranks and both hashes', async () => {
    const out = fresh();
    writeRank(rankDir(out, 0), { rank: 0, worldSize: 2, shards: [] });
    writeRank(rankDir(out, 1), { rank: 1, worldSize: 2, shards: [], hash: 'bbbb999988887777' });
    const e = await refusal(mergeRuns(out));
    expect(e.message).toMatch(/^cannot merge ranks of different configs: config aaaa000011112222 \(rank 0 in .*rank-00000\); config bbbb999988887777 \(rank 1 in .*rank-00001\)/);
    expect(existsSync(join(out, 'index.json'))).toBe(false);
  });

  test('the same rank twice', async () => {
    const base = fresh();
    writeRank(join(base, 'x'), { rank: 1, worldSize: 2, shards: [] });
    writeRank(join(base, 'y'), { rank: 1, worldSize: 2, shards: [] });
    const e = await refusal(mergeRuns(join(base, 'm'), { from: [join(base, 'x'), join(base, 'y')] }));
    expect(e.message).toMatch(/^rank 1 appears twice: in .*\/x and in .*\/y \(config aaaa000011112222\)/);
  });

  test('an incomplete set: missing, still running, interrupted — unless allowPartial', async () => {
    const out = fresh();
    writeRank(rankDir(out, 0), { rank: 0, worldSize: 4, shards: [shard(1, 1, 1)] });
    writeRank(rankDir(out, 2), { rank: 2, worldSize: 4, shards: [shard(1, 2, 2)], complete: false });
    mkdirSync(rankDir(out, 3)); // started, no index.json yet
    const e = await refusal(mergeRuns(out));
    expect(e.message).toBe(
      'incomplete run (config aaaa000011112222): missing ranks 1, 3 (rank-00003/ has no index.json: still running or failed) of world size 4; ' +
        'rank 2 interrupted (index.json says complete: false; finish with: shardloom run CONFIG --rank K --world-size 4 --out OUT --resume). Pass --allow-partial to merge what is there.',
    );
    const res = await mergeRuns(out, { allowPartial: true });
    expect(res.missing).toEqual([1, 3]);
    expect(res.index.complete).toBe(false);
    expect(res.index.totals.tokens).toBe(6);
  });

  test('different world sizes, nothing to merge, a single run in the destination', async () => {
    const a = fresh();
    writeRank(rankDir(a, 0), { rank: 0, worldSize: 2, shards: [] });
    writeRank(rankDir(a, 1), { rank: 1, worldSize: 3, shards: [] });
    expect((await refusal(mergeRuns(a))).message).toMatch(/^cannot merge ranks of different world sizes: world size 2 \(rank 0 in .*\); world size 3 \(rank 1 in .*\)/);
    const b = fresh();
    mkdirSync(b);
    expect((await refusal(mergeRuns(b))).message).toMatch(/holds no finished rank: expected rank-00000\/index.json.*found no rank-\* directories/);
    expect((await refusal(mergeRuns(join(b, 'nope')))).message).toMatch(/does not exist/);
    const c = fresh();
    writeRank(rankDir(c, 0), { rank: 0, worldSize: 1, shards: [] });
    writeRank(c, { rank: 0, worldSize: 1, shards: [] }); // a single-rank run's own index.json in OUT
    expect((await refusal(mergeRuns(join(c), { from: [rankDir(c, 0)] }))).message).toMatch(/already holds the index.json of a single run/);
  });
});

describe('CLI: shardloom merge', () => {
  test('prints the merged table; refusals reach the caller as ShardloomErrors', async () => {
    const out = fresh();
    threeRanks(out);
    let code = -1;
    const chunks: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (chunks.push(s), true)) as typeof process.stdout.write;
    try {
      await yargs(['merge', out]).command(mergeCommand((c) => (code = c))).strict().exitProcess(false).parseAsync();
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    expect(chunks.join('')).toMatch(/^Merged 3 of 3 ranks \(config aaaa000011112222\) into .*\n\n3 shards, 7 rows, 14 samples/);
    writeRank(rankDir(out, 3), { rank: 3, worldSize: 4, shards: [] });
    const run = yargs(['merge', out]).command(mergeCommand(() => undefined)).exitProcess(false).fail((_m, err) => { throw err; }).parseAsync();
    expect((await refusal(run)).message).toMatch(/different world sizes/);
  });
});
