/**
 * InternVL dynamic-resolution tiling: the plan itself is the compute module's (every backend plans the same
 * grids, src/compute/tiling.ts); the multi-image tile budget is the media stage's.
 */
export { planTiles, candidateGrids, type TilePlan, type PlanOptions as TileOptions } from '../compute/index.js';

/** The reference's multi-image rule: each of N images gets max(1, floor(maxTiles / N)). */
export function perImageMaxTiles(maxTiles: number, nImages: number): number {
  return Math.max(1, Math.floor(maxTiles / Math.max(1, nImages)));
}
