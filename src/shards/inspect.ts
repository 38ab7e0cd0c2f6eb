/** Decode one shard row back into something a person can read. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShardloomError } from '../core/errors.js';
import { loadTokenizer } from '../tokenize/tokenizer.js';
import { readShardMetadata, readShardRows } from './parquet-io.js';

/** One image of the row, in row order. */
export interface InspectedImage {
  /** Index of the image in the row (image_tiles / image_grids order). */
  index: number;
  /** Index of the sample it belongs to. */
  sample: number;
  grid: { cols: number; rows: number; thumbnail: boolean };
  /** Tiles of the image: cols × rows, plus 1 with a thumbnail (image_tiles). */
  tiles: number;
  /** V2PE δ of the image (image_v2pe_delta). */
  delta: number;
  /** Index in the row's input_ids of its `<img>` and its `</img>` (inclusive). */
  tokenSpan: [number, number];
  /** position_ids of its `<img>`, first and last `<IMG_CONTEXT>`, and `</img>`. */
  positions: { imgStart: number; firstContext: number; lastContext: number; imgEnd: number };
  /** Tile files written (--tiles-out), in tile order, thumbnail last. */
  tileFiles: string[];
}

export interface InspectedRow {
  numTokens: number;
  numTiles: number;
  samples: { index: number; id: string; source: string; tokens: number; images: number; text: string }[];
  images: InspectedImage[];
  tileFiles: string[];
}

/** Digits a zero-padded counter needs for `n` values (at least `min`): tile files then sort as they come. */
const width = (n: number, min: number) => Math.max(min, String(Math.max(0, n - 1)).length);

/** The name of a tile file: `row00003-img002-tile07.jpg` (widths from the counts, so names sort in order). */
export function tileFileName(row: number, img: number, tile: number, w: { row: number; img: number; tile: number }, ext: string): string {
  return `row${String(row).padStart(w.row, '0')}-img${String(img).padStart(w.img, '0')}-tile${String(tile).padStart(w.tile, '0')}.${ext}`;
}

export async function inspectRow(path: string, row: number, opts: { tokenizerPath?: string; maxChars?: number; tilesOut?: string } = {}): Promise<InspectedRow> {
  const meta = await readShardMetadata(path).catch((e: Error) => {
    throw new ShardloomError('SHARD_READ', `cannot open shard ${path}: ${e.message}`, { cause: e });
  });
  if (row >= meta.numRows) throw new ShardloomError('USAGE', `${path} has ${meta.numRows} rows; --row ${row} is out of range`);
  const md = meta.metadata;
  // The preset named in the shard (a tokenizer.json's name is no preset: the caller passes its path; the bundled default otherwise).
  const named = md['shardloom.tokenizer'];
  const preset = named === 'qwen3' || named === 'internvl3' ? named : 'internvl3';
  const tok = await loadTokenizer(opts.tokenizerPath ? { path: opts.tokenizerPath } : { name: preset });
  const ctx = Number(md['shardloom.img_context_id']);
  const imgStart = Number(md['shardloom.img_start_id']);
  const imgEnd = Number(md['shardloom.img_end_id']);
  let i = 0;
  for await (const r of readShardRows(path)) {
    if (i++ !== row) continue;
    const samples: InspectedRow['samples'] = [];
    const images: InspectedImage[] = [];
    let at = 0;
    r.sampleLengths.forEach((len, k) => {
      const ids = r.inputIds.subarray(at, at + len);
      let text = collapseImages(tok.decode(ids), ids, ctx);
      if (opts.maxChars && text.length > opts.maxChars) text = text.slice(0, opts.maxChars) + ` … (${text.length - opts.maxChars} more characters)`;
      let n = 0;
      for (let j = 0; j < ids.length; j++) {
        if (ids[j] !== imgStart) continue;
        let e = j + 1;
        while (e < ids.length && ids[e] === ctx) e++;
        const end = e < ids.length && ids[e] === imgEnd ? e : e - 1;
        const img = images.length;
        const p = (x: number) => r.positionIds[at + x];
        images.push({
          index: img, sample: k, grid: { ...(r.imageGrids[img] ?? { cols: 0, rows: 0, thumbnail: false }) }, tiles: r.imageTiles[img] ?? 0, delta: r.imageV2peDelta[img] ?? 1,
          tokenSpan: [at + j, at + end], positions: { imgStart: p(j), firstContext: p(Math.min(j + 1, end)), lastContext: p(Math.max(j, e - 1)), imgEnd: p(end) }, tileFiles: [],
        });
        n++;
        j = end;
      }
      samples.push({ index: k, id: r.sampleIds[k], source: r.sampleSources[k], tokens: len, images: n, text });
      at += len;
    });
    const tileFiles: string[] = [];
    if (opts.tilesOut) {
      await mkdir(opts.tilesOut, { recursive: true });
      const ext = md['shardloom.tile_encoding'] === 'png' ? 'png' : md['shardloom.tile_encoding'] === 'raw' ? 'rgb' : 'jpg';
      const w = { row: width(meta.numRows, 5), img: width(r.imageTiles.length, 3), tile: width(Math.max(0, ...r.imageTiles), 2) };
      let t = 0;
      for (const [img, n] of r.imageTiles.entries()) {
        for (let j = 0; j < n; j++, t++) {
          const f = join(opts.tilesOut, tileFileName(row, img, j, w, ext));
          await writeFile(f, r.tiles[t]);
          tileFiles.push(f);
          images[img]?.tileFiles.push(f);
        }
      }
    }
    return { numTokens: r.numTokens, numTiles: r.numTiles, samples, images, tileFiles };
  }
  throw new ShardloomError('SHARD_READ', `${path}: row ${row} not found`);
}

/** One line per image for the text output: grid, tiles, δ, token and position spans. */
export function formatImage(im: InspectedImage): string {
  const g = im.grid;
  const p = im.positions;
  const num = (x: number) => String(Math.round(x * 1e4) / 1e4);
  return `  image ${im.index}: grid ${g.cols}×${g.rows}${g.thumbnail ? ' + thumbnail' : ''} = ${im.tiles} tile${im.tiles === 1 ? '' : 's'}, δ ${num(im.delta)}, ` +
    `tokens ${im.tokenSpan[0]}–${im.tokenSpan[1]}, positions ${num(p.imgStart)}–${num(p.imgEnd)}` + (im.tileFiles.length ? `, tiles ${im.tileFiles[0]} …` : '');
}

/** Show `<img><IMG_CONTEXT>×N</img>` as `<img>[N × <IMG_CONTEXT>]</img>` so a row stays readable. */
function collapseImages(text: string, _ids: Int32Array, _ctx: number): string {
  return text.replace(/(?:<IMG_CONTEXT>)+/g, (m) => `[${m.length / '<IMG_CONTEXT>'.length} × <IMG_CONTEXT>]`);
}
