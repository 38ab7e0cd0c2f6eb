/**
 * validate: recompute everything from the shards themselves and check it against index.json, the
 * shard contract, and (with a config) the thresholds of `validate:`. Every failure names the check,
 * the shard, the row and the numbers.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/types.js';
import { TOKENS_PER_TILE, type SpecialIds } from '../core/model.js';
import { v2pePositions } from '../pack/v2pe.js';
import { readShardMetadata, readShardRows } from './parquet-io.js';
import { shardSchema } from './arrow-table.js';
import { FORMAT_VERSION, readJson, type IndexJson, type StatsJson } from './index-file.js';
import { sha256File } from './writer.js';
import { epochOf } from '../mix/index.js';
import { PRESET_IDS } from '../tokenize/tokenizer.js';
import { FILL_LABEL, formatFill, packingFill } from './run-stats.js';

export interface ValidationFailure { check: string; shard?: string; row?: number; message: string }

export interface ValidationReport {
  ok: boolean;
  /** The first MAX_FAILURES failures. */
  failures: ValidationFailure[];
  /** Failures found beyond those listed. */
  omitted: number;
  /** Figures recomputed from the shards. */
  measured: {
    shards: number; rows: number; samples: number; tokens: number; tiles: number; images: number;
    tokensBySource: Record<string, number>; share: Record<string, number>;
    /** Packing fill, as stats.json `packing.fill` (`packingFill`: every row's tokens over rows × pack.maxTokens); null without maxTokens. */
    fill: number | null;
    /** pack.maxTokens the fill is measured against (the config's, else the one in index.json). */
    maxTokens: number | null;
  };
}

const MAX_FAILURES = 200;

export async function validateRun(dir: string, cfg?: ResolvedConfig): Promise<ValidationReport> {
  const failures: ValidationFailure[] = [];
  let omitted = 0;
  const fail = (f: ValidationFailure) => { if (failures.length < MAX_FAILURES) failures.push(f); else omitted++; };
  const report = (): ValidationReport => ({ ok: failures.length === 0, failures, omitted, measured: m });
  const m: ValidationReport['measured'] = { shards: 0, rows: 0, samples: 0, tokens: 0, tiles: 0, images: 0, tokensBySource: {}, share: {}, fill: null, maxTokens: null };
  const indexPath = join(dir, 'index.json');
  if (!existsSync(indexPath)) {
    fail({ check: 'index', message: `${indexPath} does not exist` });
    return report();
  }
  const index = await readJson<IndexJson>(indexPath);
  if (index.complete === false) fail({ check: 'incomplete', message: 'the run was interrupted (index.json says complete: false); finish it with `shardloom run CONFIG --resume`' });
  const seenIds = new Set<string>();
  const tilesPerImage: number[] = [];
  const maxTokens = cfg?.pack.maxTokens ?? (index.config as { pack?: { maxTokens?: number } })?.pack?.maxTokens;
  const special: SpecialIds = { imgStart: index.tokenizer.imgStart, imgEnd: index.tokenizer.imgEnd, imgContext: index.tokenizer.imgContext };
  const expected = cfg ? expectedIds(cfg) : null;
  if (expected) checkIds('index.json', { ...index.tokenizer, eos: index.tokenizer.eos }, expected, fail);
  // Epochs each source went through (stats.json): an id from epoch N is legitimate only when its source cycled N times.
  const epochs = await sourceEpochs(dir);

  for (const shard of index.shards) {
    for (const file of shard.files) {
      const path = join(dir, file.path);
      const name = file.path;
      if (!existsSync(path)) { fail({ check: 'file', shard: name, message: 'listed in index.json but missing' }); continue; }
      const { size } = await stat(path);
      if (size !== file.bytes) fail({ check: 'checksum', shard: name, message: `size ${size} ≠ ${file.bytes} in index.json` });
      else if ((await sha256File(path)) !== file.sha256) fail({ check: 'checksum', shard: name, message: 'SHA-256 differs from index.json' });
      let meta;
      try {
        meta = await readShardMetadata(path);
      } catch (e) {
        fail({ check: 'read', shard: name, message: `cannot open: ${(e as Error).message}` });
        continue;
      }
      checkSchema(meta, index, name, fail);
      if (expected) checkIds(name, metadataIds(meta.metadata), expected, fail);
      if (meta.numRows !== shard.rows) fail({ check: 'rows', shard: name, message: `${meta.numRows} rows, index.json says ${shard.rows}` });
      // Rows are read once per shard: from the first format listed (the others are checked by checksum and schema).
      if (file !== shard.files[0]) continue;
      m.shards++;
      let tokens = 0, tiles = 0;
      const bySource: Record<string, number> = {};
      let row = 0;
      try {
        for await (const r of readShardRows(path)) {
          const where = { shard: name, row };
          checkRow(r, special, where, fail);
          if (typeof expected?.vocabSize === 'number') {
            let max = -1;
            for (const id of r.inputIds) if (id > max) max = id;
            if (max >= expected.vocabSize) fail({ check: 'ids', ...where, message: `token id ${max} is outside the vocabulary of ${expected.vocabSize}` });
          }
          tokens += r.inputIds.length;
          tiles += r.tiles.length;
          m.samples += r.sampleLengths.length;
          m.images += r.imageTiles.length;
          tilesPerImage.push(...r.imageTiles);
          r.sampleSources.forEach((s, i) => (bySource[s] = (bySource[s] ?? 0) + r.sampleLengths[i]));
          r.sampleIds.forEach((id, k) => {
            // Repeats of a cycled source carry their epoch (`@eN`), so any exact repeat is a real duplicate.
            if (seenIds.has(id)) fail({ check: 'duplicate', ...where, message: `sample id "${id}" appears more than once` });
            seenIds.add(id);
            const e = epochOf(id);
            const src = r.sampleSources[k];
            if (e > 1 && epochs && e > (epochs[src] ?? 1)) fail({ check: 'duplicate', ...where, message: `sample id "${id}" is from epoch ${e} but source "${src}" went through ${epochs[src] ?? 1} (stats.json)` });
          });
          row++;
        }
      } catch (e) {
        fail({ check: 'read', shard: name, row, message: `unreadable: ${(e as Error).message}` });
      }
      m.rows += row;
      m.tokens += tokens;
      m.tiles += tiles;
      for (const [k, v] of Object.entries(bySource)) m.tokensBySource[k] = (m.tokensBySource[k] ?? 0) + v;
      if (tokens !== shard.tokens) fail({ check: 'tokens', shard: name, message: `${tokens} tokens, index.json says ${shard.tokens}` });
      if (tiles !== shard.tiles) fail({ check: 'tiles', shard: name, message: `${tiles} tiles, index.json says ${shard.tiles}` });
      for (const s of new Set([...Object.keys(bySource), ...Object.keys(shard.tokensBySource)])) {
        if ((bySource[s] ?? 0) !== (shard.tokensBySource[s] ?? 0)) fail({ check: 'tokens', shard: name, message: `source "${s}": ${bySource[s] ?? 0} tokens, index.json says ${shard.tokensBySource[s] ?? 0}` });
      }
    }
  }
  if (m.tokens !== index.totals.tokens) fail({ check: 'totals', message: `${m.tokens} tokens in the shards, index.json totals say ${index.totals.tokens}` });
  if (m.rows !== index.totals.rows) fail({ check: 'totals', message: `${m.rows} rows in the shards, index.json totals say ${index.totals.rows}` });
  for (const [k, v] of Object.entries(m.tokensBySource)) m.share[k] = m.tokens ? v / m.tokens : 0;
  m.fill = maxTokens ? packingFill(m.tokens, m.rows, maxTokens) : null;
  m.maxTokens = maxTokens ?? null;
  if (cfg) await checkThresholds(dir, cfg, index, m, tilesPerImage, fail);
  return report();
}

type Ids = Partial<Record<'imgStart' | 'imgEnd' | 'imgContext' | 'eos' | 'vocabSize', number | null>>;

/** The ids a config expects: `tokenizer.expect`, else those of its preset (none for a tokenizer.json without expect). */
export function expectedIds(cfg: ResolvedConfig): Ids | null {
  if (cfg.tokenizer.expect) return cfg.tokenizer.expect;
  if (cfg.tokenizer.path) return null;
  return PRESET_IDS[cfg.tokenizer.name];
}

function metadataIds(md: Record<string, string>): Ids {
  const num = (k: string) => (md[`shardloom.${k}`] === undefined ? undefined : md[`shardloom.${k}`] === 'null' ? null : Number(md[`shardloom.${k}`]));
  return { imgStart: num('img_start_id'), imgEnd: num('img_end_id'), imgContext: num('img_context_id'), eos: num('eos_id'), vocabSize: num('vocab_size') };
}

function checkIds(where: string, actual: Ids, expected: Ids, fail: (f: ValidationFailure) => void): void {
  for (const k of ['imgStart', 'imgEnd', 'imgContext', 'eos', 'vocabSize'] as const) {
    if (expected[k] === undefined || actual[k] === expected[k]) continue;
    fail({ check: 'ids', shard: where, message: `${k} is ${actual[k] === undefined ? 'missing' : actual[k]}, the config expects ${expected[k]} (tokenizer.${'expect' in expected ? 'expect' : 'name'})` });
  }
}

async function sourceEpochs(dir: string): Promise<Record<string, number> | null> {
  const sp = join(dir, 'stats.json');
  if (!existsSync(sp)) return null;
  const stats = await readJson<StatsJson>(sp).catch(() => null);
  if (!stats?.share) return null;
  return Object.fromEntries(Object.entries(stats.share).map(([k, v]) => [k, v.epochs ?? 1]));
}

function checkSchema(meta: Awaited<ReturnType<typeof readShardMetadata>>, index: IndexJson, name: string, fail: (f: ValidationFailure) => void): void {
  const expected = shardSchema(new Map()).fields.map((f) => `${f.name}: ${String(f.type)}`);
  const actual = meta.columns.map((c) => `${c.name}: ${c.type}`);
  if (expected.join('\n') !== actual.join('\n')) {
    const missing = expected.filter((e) => !actual.includes(e));
    const extra = actual.filter((a) => !expected.includes(a));
    fail({ check: 'schema', shard: name, message: `columns differ from the contract: expected ${missing.join('; ') || '(order)'}; found ${extra.join('; ') || '(order)'}` });
  }
  const md = meta.metadata;
  if (md['shardloom.format_version'] !== FORMAT_VERSION) fail({ check: 'metadata', shard: name, message: `format version "${md['shardloom.format_version']}", expected "${FORMAT_VERSION}"` });
  if (md['shardloom.config_hash'] !== index.configHash) fail({ check: 'metadata', shard: name, message: `config hash ${md['shardloom.config_hash']} ≠ ${index.configHash} in index.json` });
}

type Row = Awaited<ReturnType<typeof readShardRows>> extends AsyncIterable<infer R> ? R : never;

function checkRow(r: Row, special: SpecialIds, where: { shard: string; row: number }, fail: (f: ValidationFailure) => void): void {
  const sum = (a: ArrayLike<number>) => { let t = 0; for (let i = 0; i < a.length; i++) t += a[i]; return t; };
  const n = r.inputIds.length;
  const bad = (check: string, message: string) => fail({ check, ...where, message });
  if (r.numTokens !== n) bad('row', `num_tokens ${r.numTokens} ≠ len(input_ids) ${n}`);
  if (sum(r.sampleLengths) !== n) bad('row', `sum(sample_lengths) ${sum(r.sampleLengths)} ≠ len(input_ids) ${n}`);
  if (r.positionIds.length !== n) bad('row', `len(position_ids) ${r.positionIds.length} ≠ len(input_ids) ${n}`);
  if (r.sampleSources.length !== r.sampleLengths.length || r.sampleIds.length !== r.sampleLengths.length) bad('row', 'sample_lengths, sample_sources and sample_ids differ in length');
  if (r.numTiles !== r.tiles.length) bad('row', `num_tiles ${r.numTiles} ≠ len(tiles) ${r.tiles.length}`);
  if (sum(r.imageTiles) !== r.tiles.length) bad('row', `sum(image_tiles) ${sum(r.imageTiles)} ≠ len(tiles) ${r.tiles.length}`);
  if (r.imageGrids.length !== r.imageTiles.length || r.imageV2peDelta.length !== r.imageTiles.length) bad('row', 'image_tiles, image_grids and image_v2pe_delta differ in length');
  r.imageGrids.forEach((g, k) => {
    const t = g.cols * g.rows + (g.thumbnail ? 1 : 0);
    if (t !== r.imageTiles[k]) bad('grid', `image ${k}: grid ${g.cols}×${g.rows}${g.thumbnail ? '+thumbnail' : ''} = ${t} tiles, image_tiles says ${r.imageTiles[k]}`);
  });
  // Image spans and positions, sample by sample.
  let at = 0, img = 0;
  for (let s = 0; s < r.sampleLengths.length && at <= n; s++) {
    const len = r.sampleLengths[s];
    const ids = r.inputIds.subarray(at, at + len);
    const deltas: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === special.imgEnd || ids[i] === special.imgContext) { bad('image-span', `sample ${s} (${r.sampleIds[s]}): stray ${ids[i] === special.imgEnd ? '</img>' : '<IMG_CONTEXT>'} at token ${i}`); break; }
      if (ids[i] !== special.imgStart) continue;
      const want = (r.imageTiles[img] ?? 0) * TOKENS_PER_TILE;
      let k = 0;
      while (i + 1 + k < ids.length && ids[i + 1 + k] === special.imgContext) k++;
      if (img >= r.imageTiles.length) bad('image-span', `sample ${s} (${r.sampleIds[s]}): more image spans than image_tiles entries`);
      else if (k !== want || ids[i + 1 + k] !== special.imgEnd) bad('image-span', `sample ${s} (${r.sampleIds[s]}): image ${img} has ${k} <IMG_CONTEXT> tokens${ids[i + 1 + k] === special.imgEnd ? '' : ' and no </img>'}, expected ${want} (${r.imageTiles[img]} tiles × 256)`);
      deltas.push(r.imageV2peDelta[img] ?? 1);
      img++;
      i += k + 1;
    }
    const pos = r.positionIds.subarray(at, at + len);
    if (len > 0 && pos[0] !== 0) bad('positions', `sample ${s} (${r.sampleIds[s]}): positions start at ${pos[0]}, not 0`);
    else if (len > 0) {
      const expect = v2pePositions(ids, special, deltas);
      const i = expect.findIndex((v, j) => v !== pos[j]);
      if (i >= 0) bad('positions', `sample ${s} (${r.sampleIds[s]}): position_ids[${i}] is ${pos[i]}, expected ${expect[i]} from the image δs`);
    }
    at += len;
  }
  if (img !== r.imageTiles.length) bad('image-span', `${img} image spans in input_ids, ${r.imageTiles.length} images in image_tiles`);
}

async function checkThresholds(dir: string, cfg: ResolvedConfig, index: IndexJson, m: ValidationReport['measured'], tilesPerImage: number[], fail: (f: ValidationFailure) => void) {
  if (index.configHash !== cfg.configHash) fail({ check: 'config', message: `the shards were built with config ${index.configHash}, ${cfg.configPath} is ${cfg.configHash}` });
  const total = cfg.sources.reduce((a, s) => a + s.weight, 0);
  const tol = cfg.validate.ratioTolerance;
  const renormalized = (index as unknown as { renormalized?: string[] }).renormalized ?? [];
  for (const s of cfg.sources) {
    const target = s.weight / total;
    const got = m.share[s.name] ?? 0;
    if (Math.abs(got - target) > tol) {
      fail({ check: 'ratio', message: `source "${s.name}": realised token share ${(got * 100).toFixed(2)} % vs target ${(target * 100).toFixed(2)} % (tolerance ±${(tol * 100).toFixed(2)} points)${renormalized.includes(s.name) ? ' — it ran out and was renormalized' : ''}` });
    }
  }
  if (m.fill !== null && m.fill < cfg.validate.minFill) fail({ check: 'fill', message: `${FILL_LABEL} ${formatFill(m.fill)} < validate.minFill ${formatFill(cfg.validate.minFill)} (${m.tokens} tokens / (${m.rows} rows × ${m.maxTokens}), every row)` });
  const { minTiles, maxTiles } = cfg.images;
  const lo = minTiles, hi = maxTiles + 1; // + thumbnail
  const out = tilesPerImage.filter((t) => t !== 1 && (t < lo || t > hi));
  if (out.length > 0) fail({ check: 'tiles', message: `${out.length} images have a tile count outside [${lo}, ${hi}] (e.g. ${out[0]})` });
  const sp = join(dir, 'stats.json');
  if (existsSync(sp)) {
    const stats = await readJson<StatsJson>(sp);
    if (stats.records.rejectFraction > cfg.validate.maxRejectFraction) fail({ check: 'rejects', message: `reject fraction ${(stats.records.rejectFraction * 100).toFixed(2)} % > validate.maxRejectFraction ${(cfg.validate.maxRejectFraction * 100).toFixed(2)} %` });
  }
}
