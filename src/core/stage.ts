/**
 * The stage contract: every stage is `(input, ctx) => AsyncIterable<Out>`, and one `StageContext` is built
 * per run and handed to every stage. A stage family exports a factory that takes only its own (fully
 * defaulted) config slice and returns a stage; where a stage runs (this thread, a worker pool, a GPU
 * worker) is the stage's own business. `chain` folds a list of stages into one.
 */
import type { Rejects } from './rejects.js';
import type { Stats } from './stats.js';
import type { Logger } from './log.js';
import { rngFor, type Rng } from './rng.js';

export interface StageContext {
  rank: number;
  worldSize: number;
  /** CPUs this process may use (core/cpus.ts: --cpus, run.cpus, or affinity and cgroup quota): size pools from it, not from the node. */
  cpus: number;
  /** Seed of the run. */
  seed: number;
  /** A seeded RNG per label: the same label gives the same sequence, whatever else runs. */
  rng(label: string): Rng;
  stats: Stats;
  rejects: Rejects;
  log: Logger;
  signal: AbortSignal;
}

export type Stage<In, Out> = (input: AsyncIterable<In>, ctx: StageContext) => AsyncIterable<Out>;

export function stageContext(c: Omit<StageContext, 'rng'>): StageContext {
  return { ...c, rng: (label) => rngFor(c.seed, label) };
}

/** Stages applied in order: `chain([a, b, c])(input, ctx)` = `c(b(a(input, ctx), ctx), ctx)`. */
export function chain<T = unknown>(stages: Stage<any, any>[]): Stage<any, T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (input, ctx) => stages.reduce((stream, stage) => stage(stream, ctx), input);
}

/** An empty stream: the input of a chain whose first stage is a source. */
export async function* nothing(): AsyncGenerator<never> {}
