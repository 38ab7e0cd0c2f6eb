/**
 * Mixing by target share of tokens, aware of the rows it is packed into. Rows are built one at a time:
 * each place in the row goes to the source whose written tokens are furthest below `share × total`
 * (ties by the seeded RNG), taking from that source's look-ahead the largest sample that still fits the
 * row. When that source has nothing that fits, the next most-behind source may fill the room, but only
 * while it stays within ¾ of a row of its own target; when nothing may fill it, the row is closed.
 *
 * Why rows and not samples: a packer that reorders a sample-level mix undoes it (a buffer of long text
 * chunks leaves first while short captions wait), so the written output drifted by several rows. Here the
 * order samples are packed in *is* the mix, and at every row boundary each source's tokens stay within one
 * row (`maxTokens`) of `share × total` while every source still has data (tests/mix/pack-aware.test.ts).
 *
 * Samples arrive already chunked (≤ maxTokens, ≤ maxTiles, see pack/chunk.ts). `strategy`:
 * `best-fit` (default) as above; `first-fit` takes each source's samples strictly in order and closes the
 * row when the next one does not fit; `one-per-sequence` puts each sample in a row of its own (the plain
 * sample-level mix).
 *
 * Exhaustion (`onExhausted`) is handled when a source is the one to take from and has nothing left:
 * `stop` ends the run, `cycle` reads it again (epoch N ≥ 2: ids get `@eN`, see epochId), `renormalize`
 * drops it and spreads its share over the rest.
 */
import type { PackedRow, Sample } from '../core/model.js';
import { rngFor } from '../core/rng.js';

export interface MixSource { name: string; weight: number; open: () => AsyncIterable<Sample> }
export interface MixOptions {
  seed: number;
  totalTokens?: number;
  onExhausted: 'stop' | 'cycle' | 'renormalize';
  /** Row budget; default: one sample per row (a plain mix). */
  maxTokens?: number;
  maxTiles?: number;
  strategy?: 'best-fit' | 'first-fit' | 'one-per-sequence';
  /** Samples held per source to choose from (best-fit). */
  lookahead?: number;
}
export interface MixReport {
  tokens: Record<string, number>;
  samples: Record<string, number>;
  epochs: Record<string, number>;
  exhausted: { source: string; atTokens: number }[];
  stoppedBy: 'sources' | 'totalTokens' | 'stop-policy' | null;
}

/** A sample's id in epoch `epoch` of its source: unchanged in the first, `id@eN` from the second on. */
export function epochId(id: string, epoch: number): string {
  return epoch <= 1 ? id : `${id}@e${epoch}`;
}

/** The epoch a sample id belongs to (1 without an `@eN` suffix). */
export function epochOf(id: string): number {
  const m = /@e(\d+)$/.exec(id);
  return m ? Number(m[1]) : 1;
}

/**
 * How far (in rows) a source may run ahead of its target by filling room that the source furthest behind
 * cannot use. Measured on bench-like mixes (docs/performance.md): ½ row keeps every share within 0.5 rows
 * but leaves room empty (fill 99.26 % with 95 % long text); ¾ fills 99.7 % and stays within 0.75 rows.
 */
const FILL_IN_SLACK = 0.75;

const tilesOf = (s: Sample) => s.images.reduce((a, im) => a + im.tiles.length, 0);

interface Lane {
  name: string;
  weight: number;
  open: () => AsyncIterable<Sample>;
  it: AsyncIterator<Sample>;
  queue: Sample[];
  epoch: number;
  /** The current epoch's stream has ended (the queue may still hold samples). */
  done: boolean;
  emptyEpoch: boolean;
}

export function mixAndPack(sources: MixSource[], opts: MixOptions): { rows: AsyncIterable<PackedRow>; report: MixReport } {
  const report: MixReport = { tokens: {}, samples: {}, epochs: {}, exhausted: [], stoppedBy: null };
  for (const s of sources) { report.tokens[s.name] = 0; report.samples[s.name] = 0; report.epochs[s.name] = 1; }
  return { rows: run(sources, opts, report), report };
}

/** The plain sample-level mix: every sample in the order the mixer takes it. */
export function mixByTokens(sources: MixSource[], opts: Omit<MixOptions, 'strategy'>): { samples: AsyncIterable<Sample>; report: MixReport } {
  const { rows, report } = mixAndPack(sources, { ...opts, strategy: 'one-per-sequence' });
  return { samples: (async function* () { for await (const r of rows) yield* r.samples; })(), report };
}

async function* run(sources: MixSource[], opts: MixOptions, report: MixReport): AsyncGenerator<PackedRow> {
  const strategy = opts.strategy ?? 'one-per-sequence';
  const maxTokens = opts.maxTokens ?? Infinity;
  const maxTiles = opts.maxTiles ?? Infinity;
  const depth = strategy === 'best-fit' ? Math.max(1, opts.lookahead ?? 1) : 1;
  const rng = rngFor(opts.seed, 'mix');
  const lanes: Lane[] = sources.map((s) => ({ ...s, it: s.open()[Symbol.asyncIterator](), queue: [], epoch: 1, done: false, emptyEpoch: true }));
  const active = [...lanes];
  // With `cycle` and no token budget, the run ends once every source has completed an epoch.
  const finishedOnce = new Set<string>();
  let total = 0;
  let row: Sample[] = [];
  let rowTokens = 0;
  let rowTiles = 0;

  const fill = async (l: Lane) => {
    while (!l.done && l.queue.length < depth) {
      const r = await l.it.next();
      if (r.done) { l.done = true; break; }
      l.emptyEpoch = false;
      l.queue.push(l.epoch > 1 ? { ...r.value, id: epochId(r.value.id, l.epoch) } : r.value);
    }
  };
  /** The lane ran dry while it was the one to take from: apply the policy. False: end the run. */
  const exhausted = (l: Lane): boolean => {
    report.exhausted.push({ source: l.name, atTokens: total });
    finishedOnce.add(l.name);
    if (opts.onExhausted === 'stop') { report.stoppedBy = 'stop-policy'; return false; }
    const allDone = opts.totalTokens === undefined && lanes.every((s) => finishedOnce.has(s.name));
    if (opts.onExhausted === 'cycle' && allDone) { report.stoppedBy = 'sources'; return false; }
    if (opts.onExhausted === 'cycle' && !l.emptyEpoch) {
      l.it = l.open()[Symbol.asyncIterator]();
      l.done = false;
      l.emptyEpoch = true;
      l.epoch = ++report.epochs[l.name];
      return true;
    }
    active.splice(active.indexOf(l), 1);
    return true;
  };
  const closeRow = (): PackedRow => {
    const out = { samples: row };
    row = [];
    rowTokens = 0;
    rowTiles = 0;
    return out;
  };

  try {
    for (;;) {
      if (opts.totalTokens !== undefined && total >= opts.totalTokens) { report.stoppedBy = 'totalTokens'; break; }
      for (const l of active) await fill(l);
      if (active.length === 0) { report.stoppedBy = 'sources'; break; }
      const order = byDeficit(active, total, report.tokens, rng);
      const top = order[0];
      if (top.queue.length === 0) {
        if (!exhausted(top)) break;
        continue;
      }
      const wsum = active.reduce((a, s) => a + s.weight, 0);
      let placed: { lane: Lane; at: number } | null = null;
      for (const [k, l] of order.entries()) {
        const at = pick(l.queue, strategy, maxTokens - rowTokens, maxTiles - rowTiles);
        if (at < 0) continue;
        // Filling in for a source that is further behind: only while this one stays within FILL_IN_SLACK rows of its target.
        if (k > 0) {
          const x = l.queue[at].inputIds.length;
          if (report.tokens[l.name] + x - (l.weight / wsum) * (total + x) > FILL_IN_SLACK * maxTokens) continue;
        }
        placed = { lane: l, at };
        break;
      }
      if (!placed) {
        if (row.length === 0) throw new Error(`mix: a sample of ${top.name} does not fit an empty row (it should have been chunked)`);
        yield closeRow();
        continue;
      }
      const [s] = placed.lane.queue.splice(placed.at, 1);
      row.push(s);
      rowTokens += s.inputIds.length;
      rowTiles += tilesOf(s);
      report.tokens[s.source] = (report.tokens[s.source] ?? 0) + s.inputIds.length;
      report.samples[s.source] = (report.samples[s.source] ?? 0) + 1;
      total += s.inputIds.length;
      if (strategy === 'one-per-sequence' || rowTokens >= maxTokens) yield closeRow();
    }
    if (row.length > 0) yield closeRow();
  } finally {
    await Promise.all(lanes.map((l) => l.it.return?.()));
  }
}

/** Active lanes, furthest below target first (ties in seeded random order). */
function byDeficit(active: Lane[], total: number, tokens: Record<string, number>, rng: { next(): number }): Lane[] {
  const wsum = active.reduce((a, s) => a + s.weight, 0);
  const scored = active.map((l) => ({ l, d: (l.weight / wsum) * total - tokens[l.name], r: 0 }));
  // Exact ties (always at the start) are broken by the seed; the draw happens only when there is a tie.
  const best = Math.max(...scored.map((x) => x.d));
  const tied = scored.filter((x) => Math.abs(x.d - best) <= 1e-9);
  if (tied.length > 1) {
    const first = tied[Math.floor(rng.next() * tied.length)];
    first.r = 1;
  }
  return scored.sort((a, b) => (Math.abs(a.d - b.d) <= 1e-9 ? b.r - a.r : b.d - a.d)).map((x) => x.l);
}

/** Index in `queue` of the sample to place, or -1 when none fits the room left. */
function pick(queue: Sample[], strategy: string, room: number, tileRoom: number): number {
  if (strategy !== 'best-fit') {
    const s = queue[0];
    return s && s.inputIds.length <= room && tilesOf(s) <= tileRoom ? 0 : -1;
  }
  let at = -1;
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i].inputIds.length;
    if (n <= room && tilesOf(queue[i]) <= tileRoom && (at < 0 || n > queue[at].inputIds.length)) at = i;
  }
  return at;
}
