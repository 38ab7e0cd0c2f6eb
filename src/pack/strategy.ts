/**
 * Packing strategies behind one entry point. `best-fit` (default): every sample goes into the open
 * sequence whose remaining room it fills best; when more than `buffer` samples are held, the fullest
 * sequence is emitted. `first-fit` is InternVL's greedy packer (first open sequence with room, buffer 20);
 * `one-per-sequence` is the no-packing baseline. Samples too long for one sequence are chunked first.
 */
import type { PackedRow, Sample } from '../core/model.js';
import { chunkSample, ChunkError } from './chunk.js';

export interface PackOptions { maxTokens: number; maxTiles: number; buffer: number; strategy?: 'best-fit' | 'first-fit' | 'one-per-sequence' }
export type OnReject = (sample: Sample, reason: string, detail?: string) => void;

interface Bin { samples: Sample[]; tokens: number; tiles: number; order: number }

const tilesOf = (s: Sample) => s.images.reduce((a, im) => a + im.tiles.length, 0);

export async function* packSamples(input: AsyncIterable<Sample>, opts: PackOptions, onReject?: OnReject): AsyncGenerator<PackedRow> {
  const strategy = opts.strategy ?? 'best-fit';
  const maxHeld = strategy === 'first-fit' ? 20 : Math.max(1, opts.buffer);
  let open: Bin[] = [];
  let held = 0;
  let order = 0;
  const emit = (b: Bin): PackedRow => {
    open = open.filter((x) => x !== b);
    held -= b.samples.length;
    return { samples: b.samples };
  };
  for await (const sample of input) {
    let pieces: Sample[];
    try {
      pieces = chunkSample(sample, opts.maxTokens, opts.maxTiles);
    } catch (e) {
      if (e instanceof ChunkError) { onReject?.(sample, e.reason, e.message); continue; }
      throw e;
    }
    for (const s of pieces) {
      const t = s.inputIds.length;
      const k = tilesOf(s);
      if (strategy === 'one-per-sequence') { yield { samples: [s] }; continue; }
      const fits = (b: Bin) => b.tokens + t <= opts.maxTokens && b.tiles + k <= opts.maxTiles;
      let target: Bin | undefined;
      if (strategy === 'first-fit') target = open.find(fits);
      else for (const b of open) if (fits(b) && (!target || b.tokens > target.tokens)) target = b;
      if (!target) open.push((target = { samples: [], tokens: 0, tiles: 0, order: order++ }));
      target.samples.push(s);
      target.tokens += t;
      target.tiles += k;
      held++;
      while (held > maxHeld && open.length > 0) {
        // Emit the fullest sequence (oldest first on a tie): it is the least likely to gain.
        const fullest = open.reduce((a, b) => (b.tokens > a.tokens ? b : a));
        yield emit(fullest);
      }
    }
  }
  for (const b of [...open].sort((a, b) => a.order - b.order)) yield emit(b);
}
