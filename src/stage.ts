/**
 * The stage contract: every stage is `(input, ctx) => AsyncIterable<Out>`.
 * `ctx` carries what a stage may need besides its input — never another stage.
 */
import type { Provenance } from './model.js';
import type { Rejects } from './rejects.js';
import type { Stats } from './stats.js';
import type { Logger } from './log.js';

export interface StageContext {
  rank: number;
  worldSize: number;
  stats: Stats;
  rejects: Rejects;
  log: Logger;
  signal: AbortSignal;
  /** Seed of the run; derive per-stage RNGs from it with `rngFor(seed, label)`. */
  seed: number;
}

export type Stage<In, Out> = (input: AsyncIterable<In>, ctx: StageContext) => AsyncIterable<Out>;

/** A reject: a record that cannot be used, with where it came from and why. */
export interface RejectRecord extends Provenance {
  reason: string;
  detail?: string;
}
