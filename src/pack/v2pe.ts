/**
 * V2PE position ids for one sample (as the V2PE reference computes them): positions start at 0 and
 * advance by 1 per text token, `<img>` and `</img>` included; the 256·tiles `<IMG_CONTEXT>` tokens of
 * image j get p + δj·k (k = 1…n, p = position of its `<img>`), and its `</img>` gets
 * ceil(last visual position) + 1. δ = stride / 256, so stride 256 gives plain RoPE positions.
 *
 * Checked against the V2PE reference (`get_rope_pos_id`, versions v2pe_fix / v2pe_rnd): text positions by
 * cumulative sum through the `<img>` token, the visual tokens as `linspace(p, p + δ·n, n + 1)[1:]`, then
 * `ceil` of the last one, and `</img>` continuing the cumulative sum from there; v2pe_rnd draws the stride
 * per image from {1, 2, 4, …, 256}. The reference's linspace runs in the model dtype; we compute p + δ·k in
 * double precision and store float32, so values can differ from a bf16 linspace in the last bit.
 */
import type { PackedRow, PositionedRow, SpecialIds } from '../core/model.js';
import type { Rng } from '../core/rng.js';
import type { Stage } from '../core/stage.js';

export function v2pePositions(inputIds: Int32Array, special: SpecialIds, deltas: number[]): Float32Array {
  const pos = new Float32Array(inputIds.length);
  let p = 0;
  let img = 0;
  for (let i = 0; i < inputIds.length; i++) {
    if (inputIds[i] !== special.imgStart) {
      pos[i] = p++;
      continue;
    }
    const start = p;
    pos[i] = start;
    const delta = deltas[img++] ?? 1;
    let k = 0;
    while (i + 1 < inputIds.length && inputIds[i + 1] === special.imgContext) {
      i++;
      k++;
      pos[i] = start + delta * k;
    }
    // Continue after the image: `</img>` (if present) at ceil(last visual position) + 1.
    p = Math.ceil(start + delta * k) + 1;
  }
  return pos;
}

/** δ of one image: a fixed stride, or one drawn from the list with the run's seeded RNG. */
export function drawV2peDelta(stride: number | number[], rng: Rng): number {
  const s = Array.isArray(stride) ? stride[Math.floor(rng.next() * stride.length)] : stride;
  return s / 256;
}

/**
 * The v2pe step, between packing and writing: each image's δ drawn (in row, sample, image order, from the
 * rank's seeded RNG `v2pe/RANK`) and the positions of every sample computed.
 */
export function v2peStage(cfg: { stride: number | number[] }, special: SpecialIds): Stage<PackedRow, PositionedRow> {
  return async function* v2pe(rows, ctx) {
    const rng = ctx.rng(`v2pe/${ctx.rank}`);
    for await (const row of rows) yield positioned(row, cfg.stride, special, rng);
  };
}

export function positioned(row: PackedRow, stride: number | number[], special: SpecialIds, rng: Rng): PositionedRow {
  let total = 0;
  for (const s of row.samples) total += s.inputIds.length;
  const positionIds = new Float32Array(total);
  const deltas: number[] = [];
  let at = 0;
  for (const s of row.samples) {
    const d = s.images.map(() => drawV2peDelta(stride, rng));
    positionIds.set(v2pePositions(s.inputIds, special, d), at);
    at += s.inputIds.length;
    deltas.push(...d);
  }
  return { ...row, positionIds, deltas };
}
