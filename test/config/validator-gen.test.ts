/**
 * src/config/validator.gen.ts, the loader's validator compiled ahead of time (Ajv standalone code, npm run
 * gen:validator): it must be what scripts/gen-validator.mjs makes of the schema today, and it must do what a
 * freshly compiled Ajv with the same options does — the same error objects (instancePath, keyword, params,
 * message: the loader turns them into messages naming the key and line) and the same defaults filled in.
 * A run must not load Ajv's compiler for it, only Ajv's small runtime helpers.
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ErrorObject, type Options } from 'ajv';
import { parse } from 'yaml';
import { pipelineSchema } from '../../src/config/load.js';
import { validate as generated } from '../../src/config/validator.gen.js';
import { baseYaml } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

type Gen = {
  renderValidator: (schema: unknown) => string;
  loaderSchema: (schema: unknown) => Record<string, unknown>;
  ajvOptions: Options;
};
const gen = () => import(pathToFileURL(resolve('scripts/gen-validator.mjs')).href) as Promise<Gen>;
const schema = pipelineSchema();

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const standalone = generated as unknown as Validate;

describe('src/config/validator.gen.ts', () => {
  test('is what scripts/gen-validator.mjs makes of the schema today (npm run gen:validator)', async () => {
    const text = (await gen()).renderValidator(schema);
    expect(readFileSync('src/config/validator.gen.ts', 'utf8')).toBe(text);
    expect(text).toMatch(/^\/\/ @ts-nocheck\n/);
    expect(text).toContain('by `npm run gen:validator` (scripts/gen-validator.mjs) — do not edit.');
    expect(text).not.toMatch(/\brequire\(/); // an ES module: Ajv's runtime helpers are imported
  });

  test('a change of the schema changes it', async () => {
    const changed = structuredClone(schema) as { definitions: { Pack: { properties: { maxTokens: { default: number } } } } };
    changed.definitions.Pack.properties.maxTokens.default = 8192;
    const { renderValidator } = await gen();
    expect(renderValidator(changed)).not.toBe(renderValidator(schema));
  });

  test('--check exits 0 on the file as it is and 1, saying what to run, on a stale one', () => {
    const check = (...args: string[]) => spawnSync(process.execPath, ['scripts/gen-validator.mjs', '--check', ...args], { encoding: 'utf8' });
    expect(check().status).toBe(0);
    const stale = join(tempDir(), 'validator.gen.ts');
    const current = readFileSync('src/config/validator.gen.ts', 'utf8');
    const edited = current.replace(/\.maxTokens = 16384;/, '.maxTokens = 8192;');
    expect(edited).not.toBe(current);
    writeFileSync(stale, edited);
    const r = check(stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${stale} is out of date with schemas/pipeline.schema.json: run npm run gen:validator`);
  });
});

describe('the generated validator does what a freshly compiled Ajv does', async () => {
  const { loaderSchema, ajvOptions } = await gen();
  const compiled = new Ajv(ajvOptions).compile(loaderSchema(schema)) as Validate;

  test('the options are the loader\'s', () => {
    expect(ajvOptions).toEqual({ allErrors: true, useDefaults: true, strict: true });
  });

  /** Validate a copy of `config` with `v`: its verdict, its errors and the data with the defaults it filled. */
  const run = (v: Validate, config: unknown) => {
    const data = structuredClone(config);
    const ok = v(data);
    return { ok, errors: ok ? null : v.errors, data };
  };
  const src = (s: Record<string, unknown>) => ({ sources: [s] });
  const text = { name: 'a', kind: 'text', paths: ['x.jsonl'] };
  const caption = { name: 'c', kind: 'caption', paths: ['x.tar'] };
  const interleaved = { name: 'i', kind: 'interleaved', paths: ['x.parquet'], imageStore: { type: 'dir', path: 'img' } };
  const video = { name: 'v', kind: 'video', paths: ['x.jsonl'] };

  const bad: [string, unknown][] = [
    ['wrong type', { ...src(text), pack: { maxTokens: '12x' } }],
    ['wrong type of a section', { ...src(text), mix: 'stop' }],
    ['unknown key at the top', { ...src(text), foo: 1 }],
    ['unknown key in a section', { ...src(text), images: { maxTile: 4 } }],
    ['bad enum', { ...src(text), mix: { onExhausted: 'loop' } }],
    ['bad enum of one value', { ...src(text), images: { tileSize: 512 } }],
    ['below the minimum, above the maximum', { ...src(text), pack: { maxTokens: 3 }, images: { quality: 101 } }],
    ['missing required: sources', { name: 'x' }],
    ['empty sources', { sources: [] }],
    ['duplicate formats, empty python', { ...src(text), output: { formats: ['parquet', 'parquet'] }, compute: { python: '' } }],
    ['bad v2pe stride (oneOf), bad device (anyOf)', { ...src(text), v2pe: { stride: [0] }, compute: { device: 'gpu' } }],
    ['null where null is not allowed', { ...src(text), tokenizer: { workers: null } }],
    ['kind missing', src({ name: 'a', paths: ['x'] })],
    ['kind of the wrong type', src({ name: 'a', kind: 5, paths: ['x'], foo: 1 })],
    ['kind unknown', src({ name: 'a', kind: 'vid', paths: ['x'] })],
    ['text: missing paths, bad format, unknown key, bad name', src({ name: 'a b', kind: 'text', format: 'csv', feild: 't' })],
    ['text: wrong types', src({ ...text, weight: 0, maxDocumentBytes: 1.5, paths: 'x.jsonl' })],
    ['caption: bad format, wrong type, unknown key', src({ ...caption, format: 'tar', imageField: 5, field: 'x' })],
    ['interleaved: no imageStore type, bad keys', src({ ...interleaved, imageStore: { path: 'img', bogus: 1, retries: -1 }, tooManyImages: 'cut', field: { image: 'x' } })],
    ['interleaved: bad enums, wrong types', src({ ...interleaved, onMissingImage: 'skip', dedupImages: 'yes', maxImagesPerDoc: 0 })],
    ['video: minimum, pattern, unknown key', src({ ...video, minFrames: 0, sample: 'fps:x', field: 't' })],
    ['video: missing name, wrong types', src({ kind: 'video', paths: ['x'], dropRepeatedFrames: 1, timeoutSeconds: 0 })],
    ['several sources, several problems', { sources: [text, { ...caption, format: 'x' }, { ...video, maxFrames: '8' }], seed: -1, run: { cpus: 0 } }],
    ['not a mapping: a list', [text]],
    ['not a mapping: null', null],
    ['not a mapping: a string', 'sources'],
  ];

  test.each(bad)('%s: the same errors, in the same order', (_, config) => {
    const want = run(compiled, config);
    const got = run(standalone, config);
    expect(want.ok).toBe(false);
    expect(got).toStrictEqual(want);
    for (const e of got.errors!) expect(Object.keys(e)).toEqual(expect.arrayContaining(['instancePath', 'keyword', 'params', 'message']));
  });

  const shipped = readdirSync('pipelines').filter((f) => /\.ya?ml$/.test(f)).map((f) => [`pipelines/${f}`, parse(readFileSync(join('pipelines', f), 'utf8'))] as [string, unknown]);
  const good: [string, unknown][] = [
    ...shipped,
    ['the smallest config', parse(baseYaml)],
    ['one source of each kind', { sources: [text, caption, interleaved, video] }],
    ['sections given in part', { sources: [{ ...interleaved, field: { texts: 't' } }], images: { maxTiles: 4 }, tokenizer: { eos: null, expect: { eos: null } }, v2pe: { stride: [64, 128] } }],
  ];

  test.each(good)('%s: valid, with the same defaults filled', (_, config) => {
    const want = run(compiled, config);
    const got = run(standalone, config);
    expect(want.ok).toBe(true);
    expect(got).toStrictEqual(want);
    expect(got.data).not.toEqual(config); // defaults were filled
  });

  test('defaults are fresh copies, not shared between two configs', () => {
    const a = run(standalone, src(text)).data as { output: { formats: string[] } };
    const b = run(standalone, src(text)).data as { output: { formats: string[] } };
    expect(a.output.formats).toEqual(['parquet']);
    a.output.formats.push('arrow');
    expect(b.output.formats).toEqual(['parquet']);
  });
});

describe('a run uses the generated validator, not Ajv\'s compiler', () => {
  test('src/config/load.ts imports no value from ajv (types only)', () => {
    const imports = [...readFileSync('src/config/load.ts', 'utf8').matchAll(/^import .* from '([^']+)';$/gm)];
    const ajv = imports.filter(([, from]) => from === 'ajv' || from.startsWith('ajv/'));
    expect(ajv.map(([line]) => line)).toEqual(["import type { ErrorObject } from 'ajv';"]);
  });

  test('dist/config/load.js under Node\'s ESM validates, fills defaults and reports, loading only Ajv\'s runtime helpers', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { loadConfig, parseConfig } = await import(${JSON.stringify(pathToFileURL(resolve('dist/config/load.js')).href)});
      const cfg = loadConfig('pipelines/sample.yaml');
      let message = '';
      try { parseConfig('sources:\\n  - name: a\\n    kind: text\\n    paths: [x]\\noutput:\\n  formats: [arrow, arrow]\\ncompute:\\n  python: ""\\n', 'p.yaml'); } catch (e) { message = e.message; }
      const ajv = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/node_modules/ajv/')).map((k) => k.slice(k.indexOf('/node_modules/ajv/') + 14)).sort();
      console.log(JSON.stringify({ pack: cfg.pack, tokenizer: cfg.tokenizer, message, ajv }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pack).toEqual({ maxTokens: 8192, maxTiles: 48, buffer: 512, strategy: 'best-fit' });
    expect(out.tokenizer).toEqual({ name: 'internvl3', fast: 'auto', workers: 0, eos: '<|endoftext|>' });
    expect(out.message).toBe([
      'invalid pipeline config (2 problems):',
      '  p.yaml:6: output.formats: must NOT have duplicate items (items ## 0 and 1 are identical) but received array of length 2',
      '  p.yaml:8: compute.python: must NOT have fewer than 1 characters but received "" of type string',
    ].join('\n'));
    expect(out.ajv).toEqual(['ajv/dist/runtime/equal.js', 'ajv/dist/runtime/ucs2length.js']);
  });
});
