/**
 * Which frames of a clip become tiles — InternVL's `get_frame_indices` rules, as DESIGN.md states them:
 *  - `middle` / `rand`: m = min(n, vlen) intervals cut at trunc(linspace(0, vlen, m + 1)) (numpy's linspace:
 *    i·(vlen/m) in double precision, the last point exactly vlen); middle = floor((a + b − 1)/2) of each
 *    [a, b − 1]; rand = a seeded frame inside it. (The reference draws from range(a, b − 1), i.e. never the
 *    interval's last frame, and falls back to a permutation when an interval has one frame; we draw from the
 *    whole interval, as DESIGN.md says.) If m < n the list is padded to n with its last index
 *    (`dropRepeated` keeps the m distinct ones).
 *  - `fps:R`: frames at the centres of consecutive 1/R-second windows, rounded half to even as numpy does,
 *    at most n of them.
 *  - `clip: [start, end]` seconds restricts all of this to that window of the clip.
 */
import type { Rng } from '../core/rng.js';

export type FrameSampling = 'middle' | 'rand' | `fps:${number}`;

export interface FrameOptions { sample: FrameSampling; fps?: number; clip?: [number, number]; rng?: Rng; dropRepeated?: boolean }

/** numpy.linspace(0, stop, num) then astype(int). */
export function truncLinspace(stop: number, num: number): number[] {
  const div = num - 1;
  const step = stop / div;
  return Array.from({ length: num }, (_, i) => Math.trunc(i === div ? stop : i * step));
}

/** numpy.around: round half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function sampleFrameIndices(numFrames: number, vlen: number, o: FrameOptions): number[] {
  if (!Number.isInteger(numFrames) || numFrames < 1) throw new RangeError(`numFrames must be a positive integer, got ${numFrames}`);
  if (vlen < 1) return [];
  let offset = 0;
  let len = vlen;
  if (o.clip) {
    if (!o.fps || o.fps <= 0) throw new RangeError('a clip window needs the clip frame rate');
    const [s, e] = o.clip;
    offset = Math.min(vlen - 1, Math.max(0, Math.floor(s * o.fps)));
    len = Math.max(1, Math.min(vlen, Math.ceil(e * o.fps)) - offset);
  }
  let local: number[];
  if (o.sample.startsWith('fps:')) {
    const R = Number(o.sample.slice(4));
    if (!o.fps || !(R > 0)) throw new RangeError(`fps sampling needs the clip frame rate and R > 0 (got ${o.sample})`);
    const duration = len / o.fps;
    const delta = 1 / R;
    const count = Math.ceil((duration + delta / 2 - delta / 2) / delta);
    local = [];
    for (let i = 0; i < count && local.length < numFrames; i++) {
      const idx = roundHalfEven((delta / 2 + i * delta) * o.fps);
      if (idx < len) local.push(idx);
    }
  } else {
    const m = Math.min(numFrames, len);
    const edges = truncLinspace(len, m + 1);
    local = [];
    for (let k = 0; k < m; k++) {
      const a = edges[k];
      const b = edges[k + 1] - 1;
      if (o.sample === 'middle') local.push(Math.floor((a + b) / 2));
      else if (o.sample === 'rand') {
        if (!o.rng) throw new RangeError('rand sampling needs the seeded rng');
        local.push(o.rng.int(a, Math.max(a, b)));
      } else throw new RangeError(`unknown frame sampling "${o.sample}"`);
    }
    if (!o.dropRepeated) while (local.length < numFrames) local.push(local[local.length - 1]);
  }
  return local.map((i) => i + offset);
}

/** The number of frames of a clip, drawn (seeded) from [minFrames, maxFrames]. */
export function drawFrameCount(minFrames: number, maxFrames: number, rng: Rng): number {
  return rng.int(Math.min(minFrames, maxFrames), Math.max(minFrames, maxFrames));
}
