/**
 * The batch plumbing every backend and caller shares: one item's outcome as an `ItemResult` (a MediaError per
 * failed item, never a failed batch), the single-image call as a batch of one, and `BatchQueue`, which turns a
 * stream of jobs into the batches a backend asks for (`ComputeBackend.batching`) with results in order.
 */
import { MediaError } from './errors.js';
import { ShardloomError } from '../core/errors.js';
import type { BatchLimits, ComputeBackend, FrameJob, ItemResult } from './types.js';

/** Any failure as a MediaError: MediaErrors as they are, anything else under `reason` with its message. */
export function asMediaError(e: unknown, reason: string): MediaError {
  return e instanceof MediaError ? e : new MediaError(reason, e instanceof Error ? e.message : String(e), { cause: e });
}

/**
 * Run one item's work and settle it. `work` is called synchronously (so a backend that starts work on the
 * calling thread still does it at submission); a synchronous throw is that item's failure too.
 */
export async function settle<T>(work: () => Promise<T>, reason: string): Promise<ItemResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (e) {
    return { ok: false, error: asMediaError(e, reason) };
  }
}

/** A backend from its batch methods: `tileImage` is a batch of one through `tileImages`, throwing that item's error. */
export function withSingleImage(parts: Omit<ComputeBackend, 'tileImage'>): ComputeBackend {
  return {
    ...parts,
    async tileImage(bytes, opts) {
      const [r] = await parts.tileImages([{ bytes, opts }]);
      if (!r) throw new MediaError('compute.batch', `the ${parts.name} backend returned no result for a batch of one`);
      if (!r.ok) throw r.error;
      return r.value;
    },
  };
}

interface Pending<J, R> { job: J; resolve: (r: R) => void; reject: (e: MediaError) => void }

/**
 * Jobs in, one promise per job out. Jobs are grouped into batches of `maxItems` (`flush()` sends a partial
 * one) and at most `maxInFlight` batches run at once; full batches beyond that wait here, in order. A producer
 * that can pause (a pipe) checks `hasRoom` and waits for `whenRoom()`, so what is held stays bounded. A job's
 * promise rejects with its MediaError; a batch whose promise rejects, or that returns the wrong number of
 * results, fails each of its jobs with a retryable `compute.batch` error. Job promises nobody awaits (the
 * caller gave up) are not unhandled rejections.
 */
export class BatchQueue<J, R> {
  private pending: Pending<J, R>[] = [];
  private readonly full: Pending<J, R>[][] = [];
  private inFlight = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly limits: BatchLimits,
    private readonly run: (jobs: J[]) => Promise<ItemResult<R>[]>,
  ) {
    if (!(limits.maxItems >= 1 && limits.maxInFlight >= 1)) throw new RangeError(`batch limits must be ≥ 1, got ${JSON.stringify(limits)}`);
  }

  push(job: J): Promise<R> {
    const p = new Promise<R>((resolve, reject) => this.pending.push({ job, resolve, reject }));
    p.catch(() => {});
    if (this.pending.length >= this.limits.maxItems) this.cut();
    return p;
  }

  /** Send the partial batch now (the producer has no more jobs for a while, e.g. the end of a clip). */
  flush(): void {
    if (this.pending.length) this.cut();
  }

  /** Whether another full batch could start now (no full batch waiting, fewer than maxInFlight running). */
  get hasRoom(): boolean {
    return this.inFlight + this.full.length < this.limits.maxInFlight;
  }

  whenRoom(): Promise<void> {
    return this.hasRoom ? Promise.resolve() : new Promise((r) => this.roomWaiters.push(r));
  }

  private cut(): void {
    this.full.push(this.pending);
    this.pending = [];
    this.pump();
  }

  private pump(): void {
    while (this.full.length && this.inFlight < this.limits.maxInFlight) {
      const items = this.full.shift()!;
      this.inFlight++;
      let results: Promise<ItemResult<R>[]>;
      try {
        results = this.run(items.map((i) => i.job));
      } catch (e) {
        results = Promise.reject(e);
      }
      results
        .then((rs) => {
          if (!Array.isArray(rs) || rs.length !== items.length) throw new Error(`${Array.isArray(rs) ? rs.length : 'no'} results for ${items.length} jobs`);
          items.forEach((it, i) => (rs[i].ok ? it.resolve(rs[i].value) : it.reject(rs[i].error)));
        })
        .catch((e: unknown) => {
          // A backend that cannot go on (ShardloomError) stops the run: that error reaches every job as it is.
          if (e instanceof ShardloomError) { for (const it of items) it.reject(e as unknown as MediaError); return; }
          const err = new MediaError('compute.batch', `the compute backend failed a batch: ${e instanceof Error ? e.message : String(e)}`, { cause: e, retryable: true });
          for (const it of items) it.reject(err); // no effect on jobs already settled
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.hasRoom) for (const w of this.roomWaiters.splice(0)) w();
        });
    }
  }
}

/** Decoded video frames → encoded tiles, batched as `backend` asks. */
export type FrameQueue = BatchQueue<FrameJob, Uint8Array>;

export function frameQueue(backend: ComputeBackend): FrameQueue {
  return new BatchQueue(backend.batching, (jobs) => backend.tileFrames(jobs));
}
