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
