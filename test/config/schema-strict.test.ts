/**
 * schemas/pipeline.schema.json as others use it: a strict Ajv (what editors and CI validators run) must
 * compile it and accept every config we ship, and docs/config-reference.md must be what the schema says.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { pipelineSchema } from '../../src/config/load.js';
import { tempDir } from '../helpers/tmp.js';
import { configErrorOf } from '../helpers/config.js';

const schema = pipelineSchema();
// ajv-formats is CommonJS: under Node's ESM its plugin is the module itself or its `default`.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = ((formatsModule as unknown as { default?: FormatsPlugin }).default ?? formatsModule) as unknown as FormatsPlugin;

/** A strict validator of the draft the schema's `$schema` names, with formats, as a CI tool would set it up. */
function strictAjv(opts: Options = {}): Ajv {
  const draft = String(schema.$schema);
  const Cls = draft.includes('2020-12') ? Ajv2020 : draft.includes('2019-09') ? Ajv2019 : Ajv;
  const ajv = new Cls({ strict: true, ...opts }) as Ajv;
  addFormats(ajv);
  return ajv;
}

/** Configs we ship: pipelines/*.yaml, docs/examples/*.y(a)ml, and the pipeline fragments in ```yaml blocks of the docs. */
function shippedConfigs(): { where: string; config: Record<string, unknown> }[] {
  const out: { where: string; config: Record<string, unknown> }[] = [];
  const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f)) : []);
  for (const f of [...files('pipelines'), ...files('docs/examples')]) out.push({ where: f, config: parse(readFileSync(f, 'utf8')) });
  // A pipeline fragment has a section of the schema at its top (sources, tokenizer, pack …); a Kubernetes
  // manifest or a CI workflow (which has a top-level `name` too) has none.
  const sections = Object.keys(schema.properties as object).filter((k) => !['$schema', 'name', 'seed'].includes(k));
  for (const md of ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))]) {
    for (const [, body] of readFileSync(md, 'utf8').matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
      const config = parse(body) as Record<string, unknown> | null;
      if (!config || typeof config !== 'object' || !Object.keys(config).some((k) => sections.includes(k))) continue;
      out.push({ where: `${md} (a yaml block)`, config: { sources: [{ name: 'stub', kind: 'text', paths: ['x.jsonl'] }], ...config } });
    }
  }
  return out;
}

describe('the schema under a strict validator', () => {
  // Validation only: a validator that fills defaults (useDefaults) needs the loader's per-kind branch choice
  // (src/config/load.ts), as Ajv would fill every kind's defaults into a source inside the oneOf.
  test('compiles with strict: true (no discriminator or other Ajv-only keyword), alone and with allErrors', () => {
    expect(String(schema.$schema)).toMatch(/json-schema\.org/);
    for (const opts of [{}, { allErrors: true }]) expect(() => strictAjv(opts).compile(schema)).not.toThrow();
    expect(JSON.stringify(schema)).not.toContain('"discriminator"');
  });

  test('every config we ship validates', () => {
    const validate = strictAjv({ allErrors: true }).compile(schema);
    const configs = shippedConfigs();
    expect(configs.map((c) => c.where)).toEqual(expect.arrayContaining(['pipelines/sample.yaml', 'pipelines/internvl3-mix.yaml', 'docs/shards.md (a yaml block)']));
    for (const { where, config } of configs) expect(validate(config) ? [] : validate.errors, where).toEqual([]);
  });

  test('a bad config is refused, each problem at its path: unknown kind, unknown key, missing key, wrong type', () => {
    const validate = strictAjv({ allErrors: true }).compile(schema);
    const bad = (config: unknown) => (validate(config) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.keyword}`));
    expect(bad({ sources: [{ name: 'a', kind: 'vid', paths: ['x'] }] })).toContain('/sources/0 oneOf');
    expect(bad({ sources: [{ name: 'a', kind: 'text', paths: ['x'], feild: 't' }] })).toContain('/sources/0 additionalProperties');
    expect(bad({ sources: [{ name: 'a', kind: 'video' }] })).toContain('/sources/0 required');
    expect(bad({ sources: [{ name: 'a', kind: 'text', paths: ['x'] }], pack: { maxTokens: '16k' } })).toEqual(['/pack/maxTokens type']);
    expect(bad({ name: 'no sources' })).toEqual([' required']);
    expect(bad({ sources: [{ name: 'a', kind: 'text', paths: ['x'] }] })).toEqual([]);
  });
});

describe('the loader picks a source\'s branch by kind (no discriminator): one message per problem', () => {
  test('kind missing, of the wrong type, or unknown: one line about kind', () => {
    expect(configErrorOf('sources:\n  - name: a\n    paths: [x]\n').message).toBe('invalid pipeline config (1 problem):\n  p.yaml:2: sources[0].kind: required key is missing');
    expect(configErrorOf('sources:\n  - name: a\n    kind: 5\n    paths: [x]\n    foo: 1\n').message).toBe('invalid pipeline config (1 problem):\n  p.yaml:3: sources[0].kind: expected a source kind (text, caption, interleaved, video) but received 5 of type number');
  });

  test("a known kind is checked against its own keys only, nested ones included", () => {
    expect(configErrorOf('sources:\n  - name: a\n    kind: video\n    paths: [x]\n    minFrames: 0\n    field: t\n').message.split('\n').slice(1)).toEqual([
      '  p.yaml:6: sources[0].field: unknown key (allowed here: kind, name, paths, weight, format, minFrames, maxFrames, sample, dropRepeatedFrames, timeoutSeconds)',
      '  p.yaml:5: sources[0].minFrames: must be >= 1 but received 0 of type number',
    ]);
    expect(configErrorOf('sources:\n  - name: a\n    kind: interleaved\n    paths: [x]\n    imageStore: {type: dir, bogus: 1}\n').message)
      .toMatch(/^invalid pipeline config \(1 problem\):\n {2}p\.yaml:5: sources\[0\]\.imageStore\.bogus: unknown key \(allowed here: type, path, keyBy, manifest, /);
  });
});

describe('docs/config-reference.md', () => {
  type Gen = { renderConfigReference: (schema: unknown) => string };
  const gen = () => import(pathToFileURL(resolve('scripts/gen-config-reference.mjs')).href) as Promise<Gen>;

  test('is what scripts/gen-config-reference.mjs makes of the schema today (npm run gen:config-reference)', async () => {
    const page = (await gen()).renderConfigReference(schema);
    expect(readFileSync('docs/config-reference.md', 'utf8')).toBe(page);
    expect(page).toContain('| `sources[].imageStore.retries` | integer | `2` | ≥ 0 |');
    expect(page).toContain('| `sources[].paths` | array of string | *required* | at least 1 item |');
    expect(page).toContain('| `tokenizer.eos` | string or null | `<\\|endoftext\\|>` |');
  });

  test('a key without a description is refused by name', async () => {
    const broken = structuredClone(schema) as { definitions: { Pack: { properties: { maxTokens: { description?: string } } } } };
    delete broken.definitions.Pack.properties.maxTokens.description;
    await expect(gen().then((g) => g.renderConfigReference(broken))).rejects.toThrow(/keys without a description: pack\.maxTokens$/);
  });

  test('--check exits 0 on the page as it is and 1, saying what to run, on a stale one', () => {
    const check = (...args: string[]) => spawnSync(process.execPath, ['scripts/gen-config-reference.mjs', '--check', ...args], { encoding: 'utf8' });
    expect(check().status).toBe(0);
    const stale = join(tempDir(), 'config-reference.md');
    writeFileSync(stale, readFileSync('docs/config-reference.md', 'utf8').replace('`16384`', '`8192`'));
    const r = check(stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${stale} is out of date with schemas/pipeline.schema.json: run npm run gen:config-reference`);
  });
});
