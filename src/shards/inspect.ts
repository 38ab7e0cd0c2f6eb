/** Decode one shard row back into something a person can read. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShardloomError } from '../core/errors.js';
import { loadTokenizer } from '../tokenize/tokenizer.js';
import { readShardMetadata, readShardRows } from './parquet-io.js';

export interface InspectedRow {
  numTokens: number;
  numTiles: number;
  samples: { index: number; id: string; source: string; tokens: number; images: number; text: string }[];
  tileFiles: string[];
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
  let i = 0;
  for await (const r of readShardRows(path)) {
    if (i++ !== row) continue;
    const samples: InspectedRow['samples'] = [];
    let at = 0;
    r.sampleLengths.forEach((len, k) => {
      const ids = r.inputIds.subarray(at, at + len);
      at += len;
      let text = collapseImages(tok.decode(ids), ids, ctx);
      if (opts.maxChars && text.length > opts.maxChars) text = text.slice(0, opts.maxChars) + ` … (${text.length - opts.maxChars} more characters)`;
      const images = ids.filter((x) => x === Number(md['shardloom.img_start_id'])).length;
      samples.push({ index: k, id: r.sampleIds[k], source: r.sampleSources[k], tokens: len, images, text });
    });
    const tileFiles: string[] = [];
    if (opts.tilesOut) {
      await mkdir(opts.tilesOut, { recursive: true });
      const ext = md['shardloom.tile_encoding'] === 'png' ? 'png' : md['shardloom.tile_encoding'] === 'raw' ? 'rgb' : 'jpg';
      let t = 0;
      for (const [img, n] of r.imageTiles.entries()) {
        for (let j = 0; j < n; j++, t++) {
          const g = r.imageGrids[img];
          const label = g.thumbnail && j === n - 1 ? 'thumb' : `r${Math.floor(j / g.cols)}c${j % g.cols}`;
          const f = join(opts.tilesOut, `row${row}-img${img}-${label}.${ext}`);
          await writeFile(f, r.tiles[t]);
          tileFiles.push(f);
        }
      }
    }
    return { numTokens: r.numTokens, numTiles: r.numTiles, samples, tileFiles };
  }
  throw new ShardloomError('SHARD_READ', `${path}: row ${row} not found`);
}

/** Show `<img><IMG_CONTEXT>×N</img>` as `<img>[N × <IMG_CONTEXT>]</img>` so a row stays readable. */
function collapseImages(text: string, _ids: Int32Array, _ctx: number): string {
  return text.replace(/(?:<IMG_CONTEXT>)+/g, (m) => `[${m.length / '<IMG_CONTEXT>'.length} × <IMG_CONTEXT>]`);
}
