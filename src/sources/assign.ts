/**
 * Deterministic assignment of input units (files, or parts of files: see `splitUnits`) to ranks, balanced
 * by size: units are taken largest first (ties by path, then part) and each goes to the rank with the
 * fewest bytes so far (ties by lowest rank). Every rank computes the same assignment from the same sorted
 * list, with no coordination.
 */
import { compareUnits, type InputUnit } from './units.js';

export function assignUnits(units: InputUnit[], rank: number, worldSize: number): InputUnit[] {
  if (worldSize <= 1) return units;
  const load = new Array<number>(worldSize).fill(0);
  const mine: InputUnit[] = [];
  const order = [...units].sort((a, b) => b.size - a.size || compareUnits(a, b));
  for (const u of order) {
    let best = 0;
    for (let r = 1; r < worldSize; r++) if (load[r] < load[best]) best = r;
    load[best] += Math.max(1, u.size);
    if (best === rank) mine.push(u);
  }
  // Read in file order, whatever the balancing order was.
  return mine.sort(compareUnits);
}
