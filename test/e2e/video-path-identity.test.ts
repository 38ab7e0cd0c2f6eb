/**
 * The same clip files must give the same frames and tokens however the config names them: paths relative to
 * the config, absolute paths, paths with ./ and ../ segments, and a config that sits somewhere else relative
 * to the data. (A frame choice seeded from the config-relative path gave a copy of the sample config with
 * absolute paths 7,991 clip tokens instead of 8,519: other frame counts for the same clips.)
 */
import { describe, expect, test } from 'vitest';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { readShardRows } from '../../src/shards/parquet-io.js';
import { tempDir } from '../helpers/tmp.js';

const IMG_START = 151665; // internvl3's <img>
const root = tempDir('shardloom-pathid-');
const data = join(root, 'data', 'video');
mkdirSync(data, { recursive: true });
cpSync(resolve('sample-data/video'), data, { recursive: true });

/** One video source over the sample clips, named by `prefix`; `rand` sampling so every frame is a seeded draw. */
function config(dir: string, prefix: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'clips.yaml');
  writeFileSync(file, [
    'name: clips', 'seed: 99', 'tokenizer: { name: internvl3 }',
    'sources:',
    '  - name: clips',
    '    kind: video',
    `    paths: ["${prefix}/*.mp4", "${prefix}/*.webm", "${prefix}/manifest.jsonl"]`,
    '    minFrames: 2', '    maxFrames: 8', '    sample: rand',
    'mix: { onExhausted: stop }',
    'pack: { maxTokens: 8192, maxTiles: 48 }',
    '',
  ].join('\n'));
  return file;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

/** Per sample (keyed by its id less the path up to the clip directory): its tokens and its tiles. */
async function samples(configFile: string, out: string): Promise<Map<string, { tokens: string; tiles: string[] }>> {
  await runPipeline(configFile, { log: silentLogger, progress: false, out });
  const bySample = new Map<string, { tokens: string; tiles: string[] }>();
  for (const f of readdirSync(out).filter((n) => n.endsWith('.parquet')).sort()) {
    for await (const r of readShardRows(join(out, f))) {
      let at = 0; let img = 0; let tile = 0;
      r.sampleIds.forEach((id, k) => {
        const ids = r.inputIds.subarray(at, at + r.sampleLengths[k]);
        at += r.sampleLengths[k];
        const images = ids.filter((t) => t === IMG_START).length;
        const nTiles = r.imageTiles.slice(img, img + images).reduce((a, b) => a + b, 0);
        img += images;
        const tiles = r.tiles.slice(tile, tile + nTiles).map(sha);
        tile += nTiles;
        bySample.set(id.replace(/^.*\bvideo\//, 'video/'), { tokens: sha(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength)), tiles });
      });
    }
  }
  return bySample;
}

describe('video: the same clips give the same frames whatever way their paths are written', () => {
  test('relative, absolute (config elsewhere), and ./ ../ spellings: identical samples', async () => {
    const rel = await samples(config(join(root, 'cfg'), '../data/video'), join(root, 'out-rel'));
    const abs = await samples(config(join(root, 'elsewhere', 'deeper'), data), join(root, 'out-abs'));
    const odd = await samples(config(join(root, 'cfg2'), './../data/./video/../video'), join(root, 'out-odd'));
    expect(rel.size).toBe(5);
    expect([...rel.keys()].sort()).toEqual(['video/leds.mp4', 'video/manifest.jsonl:1', 'video/manifest.jsonl:2', 'video/pan.webm', 'video/zoom.mp4']);
    // Frame counts are drawn from [2, 8]: the five clips do not all get the same one.
    expect(new Set([...rel.values()].map((s) => s.tiles.length)).size).toBeGreaterThan(1);
    for (const other of [abs, odd]) {
      expect([...other.keys()].sort()).toEqual([...rel.keys()].sort());
      for (const [id, s] of rel) expect(other.get(id), id).toEqual(s);
    }
  }, 30_000);
});
