/**
 * dedupImages is per source and per pass: two sources read side by side each keep their own first copy of an
 * image (which source met it first would depend on timing), and a cycled source's second pass keeps its images
 * instead of dropping every one as a duplicate of the first pass. Within one pass of one source, a repeated
 * image is still dropped (counted).
 */
import { describe, expect, test } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { mediaStages } from '../../src/media/index.js';
import { cpuBackend } from '../../src/compute/cpu.js';
import { Stats } from '../../src/core/stats.js';
import { Rejects } from '../../src/core/rejects.js';
import { createLogger } from '../../src/core/log.js';
import { stageContext } from '../../src/core/stage.js';
import type { Document, MediaDocument } from '../../src/core/model.js';
import type { Source } from '../../src/config/types.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const store = join(dir, 'images');
mkdirSync(store, { recursive: true });
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
// Two URLs with the same bytes (a duplicate by content), one other image.
for (const [url, file] of [['https://a/cat.jpg', 'board.jpg'], ['https://b/cat-copy.jpg', 'board.jpg'], ['https://c/dog.jpg', 'verify.jpg']]) {
  copyFileSync(join('sample-data/images', file), join(store, `${sha1(url)}.jpg`));
}

const source = (name: string): Source => ({
  name, kind: 'interleaved', paths: ['unused'], weight: 1, format: 'mmc4', imageStore: { type: 'dir', path: store, keyBy: 'sha1', concurrency: 4, timeoutSeconds: 5, retries: 0 },
  onMissingImage: 'drop', maxImagesPerDoc: 16, tooManyImages: 'shrink', minSimilarity: 0, dedupImages: true, field: { images: 'images', texts: 'texts', metadata: 'metadata', generalMetadata: 'general_metadata' },
} as unknown as Source);

const doc = (src: string, id: string, urls: string[]): Document => ({
  id, source: src, kind: 'interleaved', provenance: { source: src, file: 'f', location: id },
  segments: urls.flatMap((url) => [{ type: 'text' as const, text: `about ${url}` }, { type: 'image' as const, image: { kind: 'url' as const, url } }]),
});

describe('dedupImages: per source, per pass', () => {
  test('each source keeps its first copy; a second pass keeps its images; a repeat within a pass is dropped', async () => {
    const compute = cpuBackend();
    const stats = new Stats();
    const ctx = stageContext({ rank: 0, worldSize: 1, cpus: 2, seed: 1, stats, rejects: new Rejects(stats, undefined, 0, true), log: createLogger('error'), signal: new AbortController().signal });
    const stages = await mediaStages([source('web'), source('mmc4')], { images: { minTiles: 1, maxTiles: 2, tileSize: 448, encoding: 'jpeg', quality: 80, maxBytes: 5e7, maxPixels: 1e8, multiImage: 'divide' }, packMaxTiles: 48, concurrency: 2, baseDir: dir }, compute);
    const pass = async (src: string, docs: Document[]) => {
      const out: MediaDocument[] = [];
      const input = async function* () { yield* docs; };
      for await (const d of stages[src](input(), ctx)) out.push(d);
      return out.map((d) => d.segments.filter((s) => s.type === 'image').length);
    };
    const webDocs = [doc('web', 'w1', ['https://a/cat.jpg', 'https://c/dog.jpg']), doc('web', 'w2', ['https://b/cat-copy.jpg'])];
    const mmc4Docs = [doc('mmc4', 'm1', ['https://b/cat-copy.jpg'])];
    // The two sources side by side, as a run reads them.
    const [web1, mmc41] = await Promise.all([pass('web', webDocs), pass('mmc4', mmc4Docs)]);
    expect(web1).toEqual([2, 0]); // w2's cat is w1's cat
    expect(mmc41).toEqual([1]); // another source: kept, whatever web read first
    expect(stats.get('images.dropped.duplicate')).toBe(1);
    // A second pass over web (onExhausted: cycle) gives what the first gave.
    expect(await pass('web', webDocs)).toEqual([2, 0]);
    expect(stats.get('images.dropped.duplicate')).toBe(2);
    await compute.close();
  }, 30_000);
});
