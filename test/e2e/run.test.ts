import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync, readdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../../src/run.js';
import { silentLogger } from '../../src/core/log.js';
import { readShardRows } from '../../src/shards/parquet-io.js';
import { tempDir } from '../helpers/tmp.js';
import { duck, lit } from '../helpers/duckdb.js';

const dir = tempDir();
const quiet = { log: silentLogger, progress: false };
// One run of the sample that every test here reads (no test changes it), so that each test runs alone.
const out = join(dir, 'a');
let result: Awaited<ReturnType<typeof runPipeline>>;
beforeAll(async () => {
  result = await runPipeline('pipelines/sample.yaml', { ...quiet, out });
});

describe('end to end: the sample pipeline (text, interleaved, captions, video)', () => {
  test('writes Parquet and Arrow shards that DuckDB reads with the expected counts', async () => {
    const { index } = result;
    expect(index.complete).toBe(true);
    expect(index.totals.rows).toBeGreaterThan(0);
    const parquet = index.shards.map((s) => join(out, s.files.find((f) => f.format === 'parquet')!.path));
    const [agg] = await duck(`SELECT count(*)::INT AS rows, sum(num_tokens)::BIGINT AS tokens, sum(len(input_ids))::BIGINT AS ids, sum(len(position_ids))::BIGINT AS pos, sum(num_tiles)::INT AS tiles FROM read_parquet([${parquet.map(lit).join(', ')}])`);
    expect(Number(agg.rows)).toBe(index.totals.rows);
    expect(Number(agg.tokens)).toBe(index.totals.tokens);
    expect(Number(agg.ids)).toBe(index.totals.tokens);
    expect(Number(agg.pos)).toBe(index.totals.tokens);
    const types = await duck(`DESCRIBE SELECT * FROM read_parquet(${lit(parquet[0])})`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
      input_ids: 'INTEGER[]', position_ids: 'FLOAT[]', sample_lengths: 'INTEGER[]', sample_sources: 'VARCHAR[]', sample_ids: 'VARCHAR[]',
      tiles: 'BLOB[]', image_tiles: 'SMALLINT[]', image_grids: 'STRUCT(cols SMALLINT, "rows" SMALLINT, thumbnail BOOLEAN)[]',
      image_v2pe_delta: 'FLOAT[]', num_tokens: 'INTEGER', num_tiles: 'INTEGER',
    });
    // Every document of the sample is in the shards at least once: a source that runs dry is read again
    // (mix.onExhausted: cycle) until every source has been read through, and a repeat carries @eN, so no id is
    // there twice. 243 documents: 199 web-text lines, 26 books paragraphs, 5 OBELICS rows, 2 MMC4 lines, 6 caption
    // pairs, 5 clips (split documents would be #chunks, before the @eN).
    const ids = await duck(`SELECT count(DISTINCT regexp_replace(regexp_replace(id, '@e\\d+$', ''), '#\\d+$', ''))::INT AS docs, count(DISTINCT id)::INT AS distinct_ids, count(*)::INT AS n FROM (SELECT unnest(sample_ids) AS id FROM read_parquet([${parquet.map(lit).join(', ')}]))`);
    expect(Number(ids[0].docs)).toBe(243);
    expect(Number(ids[0].distinct_ids)).toBe(Number(ids[0].n));
    expect(Number(ids[0].n)).toBe(Object.values(result.stats.share).reduce((a, s) => a + s.samples, 0));
    const [t] = await duck(`SELECT sum(num_tiles)::INT AS tiles, sum(len(tiles))::INT AS n FROM read_parquet([${parquet.map(lit).join(', ')}])`);
    expect(Number(t.tiles)).toBe(index.totals.tiles);
    expect(Number(t.n)).toBeGreaterThan(20);
    // Arrow IPC files hold the same rows.
    let arrowTokens = 0;
    for (const s of index.shards) for await (const r of readShardRows(join(out, s.files.find((f) => f.format === 'arrow')!.path))) arrowTokens += r.numTokens;
    expect(arrowTokens).toBe(index.totals.tokens);
    // OBELICS row 2: image, text, a missing image, text. The dropped image leaves the two paragraphs apart (a
    // blank line, as adjacent texts are joined), and the kept image gets the tile budget of one image (6), not of two.
    const { loadTokenizer } = await import('../../src/tokenize/tokenizer.js');
    const tok = await loadTokenizer({ name: 'internvl3' });
    const rows = [];
    for (const s of index.shards) for await (const r of readShardRows(join(out, s.files.find((f) => f.format === 'parquet')!.path))) rows.push(r);
    const r = rows.find((x) => x.sampleIds.includes('../sample-data/interleaved/obelics.parquet:row2'))!;
    const k = r.sampleIds.indexOf('../sample-data/interleaved/obelics.parquet:row2');
    const start = r.sampleLengths.slice(0, k).reduce((a, b) => a + b, 0);
    const sampleIds = r.inputIds.subarray(start, start + r.sampleLengths[k]);
    const text = tok.decode(sampleIds.filter((x) => x !== 151667));
    expect(text).toContain('The mini USB connectors sit on the right edge.\n\nThe header pins along both edges');
    const before = r.sampleIds.slice(0, k).reduce((a, _, j) => a + r.inputIds.subarray(r.sampleLengths.slice(0, j).reduce((x, y) => x + y, 0)).subarray(0, r.sampleLengths[j]).filter((x) => x === 151665).length, 0);
    const { planTiles } = await import('../../src/media/tiling.js');
    const sharp = (await import('sharp')).default;
    const m = await sharp('sample-data/interleaved/images/e89122c3c1c4951fc39323ea5897286536f32aa5.jpg').metadata(); // board/3.jpg, by the SHA-1 of its URL
    const one = planTiles(m.width!, m.height!, { maxTiles: 6 });
    expect(one.cols * one.rows).not.toBe(planTiles(m.width!, m.height!, { maxTiles: 3 }).cols * planTiles(m.width!, m.height!, { maxTiles: 3 }).rows);
    expect(r.imageGrids[before]).toMatchObject({ cols: one.cols, rows: one.rows });
  });

  test('index.json, stats.json and rejects.jsonl describe the run', () => {
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.config.sources[0].maxDocumentBytes).toBe(67108864); // defaults are resolved into the index
    expect(index.config.configPath).toBeUndefined();
    expect(index.tokenizer).toMatchObject({ name: 'internvl3', imgStart: 151665, imgEnd: 151666, imgContext: 151667, vocabSize: 151674, eos: 151643 });
    for (const s of index.shards) for (const f of s.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(Object.keys(stats.share)).toEqual(['books', 'captions', 'clips', 'mmc4', 'obelics', 'web-text']);
    expect(stats.share.clips.samples).toBe(5);
    expect(stats.share['web-text'].target).toBeCloseTo(0.25);
    // The mix ends when the clips (the source with the most tokens per point of share) have been read once; the
    // others were read again as often as their share needed: every realised share within validate.ratioTolerance.
    const epochs = Object.fromEntries(Object.entries(stats.share).map(([k, v]) => [k, (v as { epochs: number }).epochs]));
    // (Clip frame counts are seeded by each clip's bytes, not its config-relative path: 7,199 clip tokens.)
    expect(stats.share.clips.tokens).toBe(7199);
    expect(epochs).toEqual({ books: 4, captions: 5, clips: 1, mmc4: 10, obelics: 9, 'web-text': 4 });
    expect(index.config.validate.ratioTolerance).toBe(0.02);
    for (const [name, s] of Object.entries(stats.share) as [string, { target: number; realised: number }][]) {
      expect(Math.abs(s.realised - s.target), name).toBeLessThanOrEqual(0.02);
    }
    // Per epoch: 6 caption images, 5 OBELICS images (1 missing), 3 MMC4 images (1 below the similarity threshold).
    expect(stats.images).toMatchObject({ tiled: 6 * epochs.captions + 5 * epochs.obelics + 3 * epochs.mmc4, 'dropped.image.missing': epochs.obelics, 'dropped.similarity': epochs.mmc4 });
    // The two bad lines of with-bad-lines.jsonl: rejected in every epoch of web-text, recorded and counted once.
    const rejects = readFileSync(join(out, 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((r: { file: string; location: string; reason: string }) => [r.file, r.location, r.reason].join(' | '))).toEqual([
      '../sample-data/text/with-bad-lines.jsonl | line 2 | json.malformed',
      '../sample-data/text/with-bad-lines.jsonl | line 3 | text.empty',
    ]);
    expect(stats.rejectsByReason).toEqual({ 'json.malformed': 1, 'text.empty': 1 });
    expect(stats.records.rejected['web-text']).toBe(2);
    expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('same inputs, config and seed give byte-identical shards', async () => {
    const again = await runPipeline('pipelines/sample.yaml', { ...quiet, out: join(dir, 'b') });
    expect(again.index.shards.map((s) => s.files.map((f) => f.sha256))).toEqual(result.index.shards.map((s) => s.files.map((f) => f.sha256)));
    expect(readFileSync(join(dir, 'b', 'index.json'), 'utf8')).toBe(readFileSync(join(out, 'index.json'), 'utf8'));
  });

  test('an output directory holding another run is refused before any work; --overwrite replaces it', async () => {
    const taken = join(dir, 'c');
    cpSync(out, taken, { recursive: true });
    const cfg = readFileSync('pipelines/sample.yaml', 'utf8').replace('seed: 1234', 'seed: 99');
    writeFileSync(join(dir, 'other.yaml'), cfg.replaceAll('../sample-data', join(process.cwd(), 'sample-data')));
    await expect(runPipeline(join(dir, 'other.yaml'), { ...quiet, out: taken })).rejects.toThrow(/already holds a different run \(config [0-9a-f]+, this config is [0-9a-f]+\); pass --resume to continue it, --overwrite to replace it/);
    await expect(runPipeline('pipelines/sample.yaml', { ...quiet, out: taken })).rejects.toThrow(/already holds the output of this same config/);
    const res = await runPipeline(join(dir, 'other.yaml'), { ...quiet, out: taken, overwrite: true });
    expect(res.index.configHash).not.toBe(result.index.configHash);
    expect(JSON.parse(readFileSync(join(taken, 'index.json'), 'utf8')).configHash).toBe(res.index.configHash);
  });
});

describe('end to end: images in the shards', () => {
  test('caption grids and tile counts agree with planTiles; tiles are 448×448 JPEGs', async () => {
    const sharp = (await import('sharp')).default;
    const { planTiles } = await import('../../src/media/tiling.js');
    const { wdsSamples } = await import('../../src/sources/webdataset.js');
    const expected = new Map<string, { cols: number; rows: number }>();
    for await (const s of wdsSamples('sample-data/captions/00000.tar', 1e8)) {
      const m = await sharp(s.files.get('jpg')!).metadata();
      const p = planTiles(m.width!, m.height!, { maxTiles: 6 });
      expected.set(`../sample-data/captions/00000.tar/${s.key}`, { cols: p.cols, rows: p.rows });
    }
    let checked = 0;
    for await (const r of readShardRows(join(out, 'part-00000.parquet'))) {
      let img = 0;
      let tile = 0;
      r.sampleIds.forEach((id, k) => {
        const n = r.inputIds.subarray(r.sampleLengths.slice(0, k).reduce((a, b) => a + b, 0)).subarray(0, r.sampleLengths[k]).filter((x) => x === 151665).length;
        if (expected.has(id)) {
          expect({ cols: r.imageGrids[img].cols, rows: r.imageGrids[img].rows }).toEqual(expected.get(id));
          expect(r.imageTiles[img]).toBe(r.imageGrids[img].cols * r.imageGrids[img].rows + (r.imageGrids[img].thumbnail ? 1 : 0));
          checked++;
        }
        for (let j = 0; j < n; j++) tile += r.imageTiles[img++];
      });
      expect(tile).toBe(r.numTiles);
      for (const t of r.tiles.slice(0, 3)) expect(await sharp(t).metadata()).toMatchObject({ format: 'jpeg', width: 448, height: 448 });
    }
    expect(checked).toBe(expected.size);
    // The file says how its tiles were encoded (the tile bytes depend on the JPEG encoder).
    const kv = await duck(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(join(out, 'part-00000.parquet'))})`);
    const md = JSON.parse(String(kv.find((x) => x.k === 'shardloom')!.v));
    // The encoder this machine has (libjpeg-turbo where libturbojpeg0 is installed, else sharp's mozjpeg).
    const { tileEncoder } = await import('../../src/compute/cpu.js');
    expect(md).toMatchObject({ tile_encoding: 'jpeg', tile_encoder: tileEncoder(), tile_size: 448 });
    // The ids an InternVL3 checkpoint expects, as JSON numbers: a loader needs no string parsing.
    expect(md).toMatchObject({ format_version: '2', tokenizer: 'internvl3', img_start_id: 151665, img_end_id: 151666, img_context_id: 151667, eos_id: 151643, vocab_size: 151674 });
  });
});
