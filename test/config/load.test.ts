import { describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadConfig, parseConfig, configHash, pipelineSchema, sourceConfig } from '../../src/config/load.js';
import { ShardloomError } from '../../src/core/errors.js';
import { baseYaml, configErrorOf } from '../helpers/config.js';
import { tempDir } from '../helpers/tmp.js';

const base = baseYaml;
const errorOf = configErrorOf;

describe('config: valid files', () => {
  test('the sample pipeline loads with every default filled', () => {
    const cfg = loadConfig('pipelines/sample.yaml');
    expect(cfg.sources.map((s) => [s.name, s.kind])).toEqual([['web-text', 'text'], ['books', 'text'], ['obelics', 'interleaved'], ['mmc4', 'interleaved'], ['captions', 'caption'], ['clips', 'video']]);
    expect(cfg.pack).toEqual({ maxTokens: 8192, maxTiles: 48, buffer: 512, strategy: 'best-fit' });
    expect(cfg.images.maxTiles).toBe(6);
    expect(cfg.sources[5]).toMatchObject({ minFrames: 4, maxFrames: 8, sample: 'middle', timeoutSeconds: 120 });
    expect(cfg.tokenizer).toEqual({ name: 'internvl3', fast: 'auto', workers: 0, eos: '<|endoftext|>' });
    expect(cfg.configHash).toMatch(/^[0-9a-f]{16}$/);
  });

  test('minimal config gets defaults; the hash ignores key order but not values', () => {
    const a = parseConfig(base, 'a.yaml');
    expect(a.output.formats).toEqual(['parquet']);
    expect(a.mix.onExhausted).toBe('renormalize');
    const b = parseConfig('seed: 0\n' + base, 'b.yaml');
    expect(b.configHash).toBe(a.configHash);
    const c = parseConfig('seed: 1\n' + base, 'c.yaml');
    expect(c.configHash).not.toBe(a.configHash);
    expect(configHash({ sources: [] } as never)).toBe(configHash({ sources: [] } as never));
  });
});

describe('config: errors name the key path and the line', () => {
  test('unknown key at top level and inside a source, with the allowed keys', () => {
    const e = errorOf('foo: 1\n' + base + '    feild: t\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('p.yaml:1: foo: unknown key (allowed here: $schema, name, seed');
    expect(e.message).toContain('p.yaml:6: sources[0].feild: unknown key (allowed here: kind, name, paths, weight, format, field, idField, maxDocumentBytes)');
  });

  test('wrong type, shown as sharp does it', () => {
    const e = errorOf(base + 'pack:\n  maxTokens: "12x"\n');
    expect(e.message).toContain('p.yaml:6: pack.maxTokens: must be integer but received "12x" of type string');
  });

  test('enum, minimum, missing required key, unknown source kind', () => {
    expect(errorOf(base + 'mix:\n  onExhausted: loop\n').message).toContain('p.yaml:6: mix.onExhausted: expected one of "stop", "cycle", "renormalize" but received "loop" of type string');
    expect(errorOf(base + 'pack:\n  maxTokens: 3\n').message).toContain('p.yaml:6: pack.maxTokens: must be >= 16 but received 3 of type number');
    expect(errorOf('sources:\n  - name: a\n    kind: text\n').message).toContain('p.yaml:2: sources[0].paths: required key is missing');
    expect(errorOf('sources:\n  - name: a\n    kind: vid\n').message).toContain('p.yaml:3: sources[0].kind: expected a source kind');
    expect(errorOf('name: x\n').message).toContain('sources: required key is missing');
  });

  test('duplicate source names, minTiles > maxTiles, YAML syntax, not a mapping', () => {
    expect(errorOf(base + '  - name: a\n    kind: text\n    paths: [y]\n').message).toMatch(/p\.yaml:5: sources\[1\]\.name: duplicate source name "a"/);
    expect(errorOf(base + 'images:\n  minTiles: 8\n  maxTiles: 4\n').message).toContain('p.yaml:6: images.minTiles (8) must not exceed images.maxTiles (4)');
    expect(errorOf('sources: [\n  - a: b\n').message).toMatch(/p\.yaml(:\d+)?: YAML syntax error/);
    expect(errorOf('- 1\n- 2\n').message).toContain('expected a mapping of pipeline settings');
    expect(errorOf(base + base.replace('sources:\n', '')).message).toBeDefined();
  });

  test('a missing file is CONFIG_NOT_FOUND', () => {
    expect(() => loadConfig('no/such.yaml')).toThrow(/config file not found: no\/such.yaml/);
  });
});

describe('config: one source of truth', () => {
  test('types.gen.ts is what json2ts makes of the schema today', () => {
    const dir = tempDir();
    const out = join(dir, 'types.gen.ts');
    execFileSync('npx', ['json2ts', '-i', 'schemas/pipeline.schema.json', '-o', out, '--unreachableDefinitions', 'false', '--bannerComment', readFileSync('src/config/types.gen.ts', 'utf8').split('\n')[0]], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('src/config/types.gen.ts', 'utf8'));
  });

  test('every pipeline in pipelines/ validates and declares the schema for editors', () => {
    const { readdirSync } = require('node:fs') as typeof import('node:fs');
    for (const f of readdirSync('pipelines').filter((n: string) => n.endsWith('.yaml'))) {
      const text = readFileSync(join('pipelines', f), 'utf8');
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/pipeline.schema.json');
      expect(() => loadConfig(join('pipelines', f))).not.toThrow();
    }
  });
});

describe('config: defaults are filled once, at load', () => {
  type Def = { properties?: Record<string, { default?: unknown; $ref?: string }> };
  const defs = (pipelineSchema() as { definitions: Record<string, Def> }).definitions;
  const defaults = (name: string) => Object.entries(defs[name].properties ?? {}).filter(([, p]) => p.default !== undefined).map(([k]) => k);

  test('every key the schema gives a default is present in each loaded source (and in its image store), weight included', () => {
    const cfg = parseConfig([
      'sources:', '  - {name: t, kind: text, paths: [x]}', '  - {name: c, kind: caption, paths: [x]}',
      '  - {name: i, kind: interleaved, paths: [x], imageStore: {type: http}}', '  - {name: v, kind: video, paths: [x]}',
    ].join('\n'), '/tmp/defaults.yaml');
    const kinds: Record<string, string> = { text: 'TextSource', caption: 'CaptionSource', interleaved: 'InterleavedSource', video: 'VideoSource' };
    for (const src of cfg.sources) {
      for (const k of [...defaults(kinds[src.kind]), 'weight']) expect(src, `${src.kind}.${k}`).toHaveProperty(k);
      expect(src.weight).toBe(1);
    }
    const interleaved = cfg.sources.find((s) => s.kind === 'interleaved')!;
    for (const k of defaults('ImageStore')) expect(interleaved.imageStore, `imageStore.${k}`).toHaveProperty(k);
    expect(interleaved.field).toEqual({ images: 'images', texts: 'texts', metadata: 'metadata', generalMetadata: 'general_metadata' });
  });

  test('sourceConfig: one source checked and defaulted as a run sees it; a bad one names the key', () => {
    expect(sourceConfig({ name: 'v', kind: 'video', paths: ['a.mp4'] })).toMatchObject({ weight: 1, minFrames: 8, maxFrames: 32, sample: 'middle', timeoutSeconds: 120 });
    expect(() => sourceConfig({ name: 'v', kind: 'video', paths: ['a.mp4'], minFrames: 'x' } as never)).toThrow(/source "v": \/minFrames must be integer/);
  });

  test('filling weight after the hash keeps the hash of a config that omits it', () => {
    const cfg = parseConfig(base, '/tmp/a.yaml');
    const { configPath: _p, baseDir: _b, configHash: h, ...rest } = cfg;
    expect(h).toBe(configHash({ ...rest, sources: rest.sources.map(({ weight: _w, ...s }) => s) } as never));
  });
});

