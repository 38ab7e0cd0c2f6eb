/**
 * Split a sample that does not fit one sequence into chunks on token boundaries, never inside an image
 * span. Chunk k is `id#k`; its images are rebased and its text-token count recomputed.
 */
import type { Sample } from '../core/model.js';
import { TOKENS_PER_TILE } from '../core/model.js';
import type { Stage } from '../core/stage.js';

export class ChunkError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const spanLength = (tiles: number) => tiles * TOKENS_PER_TILE + 2;

export function chunkSample(s: Sample, maxTokens: number, maxTiles: number): Sample[] {
  const tiles = s.images.reduce((a, im) => a + im.tiles.length, 0);
  if (s.inputIds.length <= maxTokens && tiles <= maxTiles) return [s];
  for (const im of s.images) {
    if (spanLength(im.tiles.length) > maxTokens || im.tiles.length > maxTiles) {
      throw new ChunkError('pack.image_too_large', `an image of ${im.tiles.length} tiles (${spanLength(im.tiles.length)} tokens) does not fit a sequence of ${maxTokens} tokens / ${maxTiles} tiles`);
    }
  }
  const chunks: Sample[] = [];
  let start = 0;
  let img = 0;
  while (start < s.inputIds.length) {
    let end = Math.min(start + maxTokens, s.inputIds.length);
    let chunkTiles = 0;
    let j = img;
    // Take whole images while they fit; stop before an image that would be cut or overflow the tiles.
    while (j < s.images.length && s.images[j].start < end) {
      const im = s.images[j];
      const spanEnd = im.start + spanLength(im.tiles.length);
      if (spanEnd > end || chunkTiles + im.tiles.length > maxTiles) {
        end = im.start;
        break;
      }
      chunkTiles += im.tiles.length;
      j++;
    }
    const images = s.images.slice(img, j).map((im) => ({ ...im, start: im.start - start }));
    const ids = s.inputIds.slice(start, end);
    const visual = images.reduce((a, im) => a + spanLength(im.tiles.length), 0);
    chunks.push({ ...s, id: `${s.id}#${chunks.length}`, inputIds: ids, images, textTokens: ids.length - visual });
    start = end;
    img = j;
  }
  return chunks;
}

/**
 * The chunk stage, per source before the mixer: every sample that does not fit one sequence becomes
 * chunks that do (so the mixer counts what will be packed); a sample with an image too large for any
 * sequence is a reject.
 */
export function chunkStage(cfg: { maxTokens: number; maxTiles: number }): Stage<Sample, Sample> {
  return async function* chunk(samples, ctx) {
    for await (const s of samples) {
      try {
        yield* chunkSample(s, cfg.maxTokens, cfg.maxTiles);
      } catch (e) {
        if (!(e instanceof ChunkError)) throw e;
        ctx.rejects.reject({ ...s.provenance, reason: e.reason, detail: e.message });
      }
    }
  };
}
