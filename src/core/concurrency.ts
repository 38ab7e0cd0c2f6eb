import type { Stage } from './stage.js';

/**
 * `mapOrdered`: apply an async function to a stream with at most `concurrency` calls in flight, yielding
 * results in input order. Memory is bounded by `concurrency` items; the input is pulled only as results
 * are consumed (back-pressure).
 */
export async function* mapOrdered<In, Out>(input: AsyncIterable<In>, concurrency: number, fn: (x: In) => Promise<Out>): AsyncGenerator<Out> {
  const limit = Math.max(1, concurrency);
  const queue: Promise<Out>[] = [];
  const it = input[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      while (!done && queue.length < limit) {
        const r = await it.next();
        if (r.done) { done = true; break; }
        const p = fn(r.value);
        p.catch(() => undefined); // rejections surface when awaited, in order
        queue.push(p);
      }
      if (queue.length === 0) return;
      yield await queue.shift()!;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

/**
 * `prefetch`: run a stream ahead of its consumer, holding at most `maxItems` items and (past the first)
 * `maxWeight` units of `weight` — so a pipeline stage keeps working while the consumer waits on another
 * stream (the mixer pulls from one source at a time). Order, values and errors are unchanged; an error is
 * raised where its item would have been. Ending the consumer early stops the producer.
 */
export async function* prefetch<T>(input: AsyncIterable<T>, opts: { maxItems: number; maxWeight?: number; weight?: (x: T) => number }): AsyncGenerator<T> {
  const buf: { value: T; weight: number }[] = [];
  let held = 0;
  let ended = false;
  let stop = false;
  let error: { e: unknown } | null = null;
  // Each side parks on a promise when it cannot go on; the other side wakes it.
  let consumerParked: (() => void) | null = null;
  let producerParked: (() => void) | null = null;
  const wakeConsumer = () => { const w = consumerParked; consumerParked = null; w?.(); };
  const wakeProducer = () => { const w = producerParked; producerParked = null; w?.(); };
  const full = () => buf.length >= opts.maxItems || (buf.length > 0 && opts.maxWeight !== undefined && held >= opts.maxWeight);
  const it = input[Symbol.asyncIterator]();
  const producer = (async () => {
    try {
      while (!stop) {
        if (full()) {
          await new Promise<void>((r) => (producerParked = r));
          continue;
        }
        const r = await it.next();
        if (r.done) break;
        const w = opts.weight?.(r.value) ?? 0;
        buf.push({ value: r.value, weight: w });
        held += w;
        wakeConsumer();
      }
    } catch (e) {
      error = { e };
    } finally {
      ended = true;
      wakeConsumer();
    }
  })();
  try {
    for (;;) {
      if (buf.length > 0) {
        const x = buf.shift()!;
        held -= x.weight;
        wakeProducer();
        yield x.value;
        continue;
      }
      if (ended) {
        if (error) throw (error as { e: unknown }).e;
        return;
      }
      await new Promise<void>((r) => (consumerParked = r));
    }
  } finally {
    stop = true;
    wakeProducer();
    await producer;
    try { await it.return?.(undefined as never); } catch { /* the stream failed already; its error was raised or is moot */ }
  }
}

/** `prefetch` as a stage of a chain. */
export function prefetchStage<T>(opts: Parameters<typeof prefetch<T>>[1]): Stage<T, T> {
  return (input) => prefetch(input, opts);
}
