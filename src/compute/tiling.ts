/**
 * InternVL dynamic-resolution tiling plan (`dynamic_preprocess` / `find_closest_aspect_ratio`). It belongs to
 * the compute module because a backend plans each image once it knows its size, and every backend must plan
 * the same grids (DESIGN.md, "The compute module"); media/tiling.ts re-exports it.
 */
import { TOKENS_PER_TILE } from '../core/model.js';

export interface TilePlan { cols: number; rows: number; tiles: number; thumbnail: boolean; tokens: number }
export interface PlanOptions { minTiles?: number; maxTiles?: number; tileSize?: number }

/** Candidate grids ordered by cols·rows ascending (ties: the reference's set order; here cols ascending). */
export function candidateGrids(minTiles: number, maxTiles: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i <= maxTiles; i++) for (let j = 1; j <= maxTiles; j++) if (i * j >= minTiles && i * j <= maxTiles) out.push([i, j]);
  return out.sort((a, b) => a[0] * a[1] - b[0] * b[1] || a[0] - b[0]);
}

/** candidateGrids per (minTiles, maxTiles), computed once: planTiles runs for every image. */
const gridCache = new Map<string, readonly (readonly [number, number])[]>();
function cachedGrids(minTiles: number, maxTiles: number): readonly (readonly [number, number])[] {
  const key = `${minTiles},${maxTiles}`;
  let grids = gridCache.get(key);
  if (!grids) gridCache.set(key, (grids = candidateGrids(minTiles, maxTiles)));
  return grids;
}

export function planTiles(width: number, height: number, opts: PlanOptions = {}): TilePlan {
  const { minTiles = 1, maxTiles = 12, tileSize = 448 } = opts;
  const ar = width / height;
  const area = width * height;
  let bestDiff = Infinity;
  let best: readonly [number, number] = [1, 1];
  for (const [c, r] of cachedGrids(minTiles, maxTiles)) {
    const diff = Math.abs(ar - c / r);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = [c, r];
    } else if (diff === bestDiff && area > 0.5 * tileSize * tileSize * c * r) {
      best = [c, r];
    }
  }
  const grid = best[0] * best[1];
  const thumbnail = grid > 1;
  const tiles = grid + (thumbnail ? 1 : 0);
  return { cols: best[0], rows: best[1], tiles, thumbnail, tokens: tiles * TOKENS_PER_TILE };
}
