import { describe, expect, test } from 'vitest';
import { mapOrdered, prefetch } from '../../src/core/concurrency.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 5));

/** A source that records how far it has been pulled and whether it was closed. */
function source(n: number, opts: { failAt?: number } = {}) {
  const state = { pulled: 0, closed: false };
  async function* gen() {
    try {
      for (let i = 0; i < n; i++) {
        await tick();
        if (i === opts.failAt) throw new Error(`bad item ${i}`);
        state.pulled = i + 1;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, it: gen() };
}

describe('prefetch', () => {
  test('runs ahead of an idle consumer up to maxItems, and keeps order', async () => {
    const { state, it } = source(50);
    const out: number[] = [];
    const p = prefetch(it, { maxItems: 8 });
    out.push((await p.next()).value as number);
    for (let i = 0; i < 30; i++) await tick(); // consumer busy elsewhere
    // Item 0 was taken; 8 more are held (+1 pulled and waiting for room at most).
    expect(state.pulled).toBeGreaterThanOrEqual(9);
    expect(state.pulled).toBeLessThanOrEqual(10);
    for await (const x of p) out.push(x);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('a weight budget limits what is held (but one item always passes)', async () => {
    const { state, it } = source(20);
    const p = prefetch(it, { maxItems: 100, maxWeight: 3, weight: () => 2 });
    await p.next();
    for (let i = 0; i < 20; i++) await tick();
    expect(state.pulled).toBeLessThanOrEqual(4); // 1 consumed + 2 held (4 ≥ 3 stops) + 1 in hand
    await p.return(undefined);
    expect(state.closed).toBe(true);
  });

  test('an error is raised in place, after the items before it', async () => {
    const { it } = source(10, { failAt: 4 });
    const got: number[] = [];
    await expect((async () => { for await (const x of prefetch(it, { maxItems: 3 })) got.push(x); })()).rejects.toThrow('bad item 4');
    expect(got).toEqual([0, 1, 2, 3]);
  });

  test('ending the consumer early stops and closes the source', async () => {
    const { state, it } = source(1000);
    for await (const x of prefetch(it, { maxItems: 4 })) if (x === 2) break;
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(10);
  });
});

describe('mapOrdered', () => {
  test('results in input order with at most `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out: number[] = [];
    const { it } = source(20);
    for await (const x of mapOrdered(it, 3, async (i) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, (20 - i) % 7));
      inFlight--;
      return i * 10;
    })) out.push(x);
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    expect(most).toBeLessThanOrEqual(3);
  });
});
