/**
 * Load a pipeline YAML, validate it against schemas/pipeline.schema.json (the one source of truth for
 * keys, types, defaults and editor completion), fill defaults, and report every problem with its key path
 * and the line of the YAML file it is on.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document as YamlDocument } from 'yaml';
import { ShardloomError, describeValue } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
import type { PipelineConfig, Source as SourceIn } from './types.gen.js';
import type { ResolvedConfig, Source } from './types.js';
import { validate as generatedValidate } from './validator.gen.js';

export function pipelineSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(), 'schemas', 'pipeline.schema.json'), 'utf8'));
}

/**
 * The validator of the schema as the loader reads it: compiled ahead of time by Ajv's standalone code
 * generation into ./validator.gen.ts (npm run gen:validator; scripts/gen-validator.mjs says how the loader's
 * schema differs from the published one), so that a run neither loads Ajv's compiler nor compiles the schema.
 * It fills defaults into the data it checks (useDefaults) and lists every problem (allErrors).
 */
type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const validatePipeline = generatedValidate as unknown as Validate;

/** Load and validate a pipeline file. Throws ShardloomError('CONFIG_…') naming the key and line. */
export function loadConfig(path: string): ResolvedConfig {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ShardloomError('CONFIG_NOT_FOUND', `config file not found: ${path}`);
  return parseConfig(readFileSync(abs, 'utf8'), abs);
}

/** Parse YAML text as a pipeline config; `file` is used for messages and to resolve relative paths. */
export function parseConfig(text: string, file: string): ResolvedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new ShardloomError('CONFIG_INVALID', `${file}${line ? `:${line}` : ''}: YAML syntax error: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ShardloomError('CONFIG_INVALID', `${file}: expected a mapping of pipeline settings at the top level but found ${describeValue(data)}`);
  }
  const validate = validatePipeline;
  if (!validate(data)) {
    const lines = dedupeErrors(validate.errors ?? []).map((e) => formatError(e, doc, lc, file, data));
    throw new ShardloomError('CONFIG_INVALID', `invalid pipeline config (${lines.length} problem${lines.length > 1 ? 's' : ''}):\n  ` + lines.join('\n  '));
  }
  const cfg = data as PipelineConfig;
  checkSemantics(cfg, doc, lc, file);
  return resolveConfig(cfg, file);
}

function resolveConfig(cfg: PipelineConfig, file: string): ResolvedConfig {
  // Ajv fills every default the schema gives but a source's `weight` (declared on SourceCommon, not on each
  // kind): filled here, after the hash, so that the hash (and the shards that carry it) stay what they were.
  const hash = configHash(cfg);
  return { ...cfg, sources: cfg.sources.map(withSourceDefaults), configPath: file, baseDir: dirname(file), configHash: hash } as ResolvedConfig;
}

const withSourceDefaults = <S extends SourceIn>(src: S) => ({ ...src, weight: src.weight ?? 1 });

/**
 * One source's config as a run sees it: checked against the schema and with every default filled (what
 * `loadConfig` does for each source). For code and tests that build a source config themselves.
 */
export function sourceConfig<S extends SourceIn>(raw: S): Extract<Source, { kind: S['kind'] }> {
  const data = { sources: [structuredClone(raw)] };
  const validate = validatePipeline;
  if (!validate(data)) {
    const problems = dedupeErrors(validate.errors ?? []).filter((e) => e.instancePath.startsWith('/sources'));
    throw new ShardloomError('CONFIG_INVALID', `source "${raw.name}": ${problems.map((e) => `${e.instancePath.replace('/sources/0', '') || '(source)'} ${e.message}`).join('; ')}`);
  }
  return withSourceDefaults(data.sources[0]) as unknown as Extract<Source, { kind: S['kind'] }>;
}

/** A hash of the resolved settings (defaults filled), stable across key order. */
export function configHash(cfg: PipelineConfig): string {
  return createHash('sha256').update(stableStringify(cfg)).digest('hex').slice(0, 16);
}

export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(stableStringify).join(',') + ']';
  if (v && typeof v === 'object') {
    const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableStringify((v as Record<string, unknown>)[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

/**
 * `file:line` of a key of a loaded config (re-read from its file: only error messages need it), or the
 * file alone when the key or the file is not there.
 */
export function keyLocation(cfg: { configPath: string }, path: (string | number)[]): string {
  try {
    const lc = new LineCounter();
    const doc = parseDocument(readFileSync(cfg.configPath, 'utf8'), { lineCounter: lc });
    return `${cfg.configPath}:${lineOf(doc, lc, path)}`;
  } catch {
    return cfg.configPath;
  }
}

function checkSemantics(cfg: PipelineConfig, doc: YamlDocument, lc: LineCounter, file: string): void {
  const seen = new Map<string, number>();
  cfg.sources.forEach((s, i) => {
    if (seen.has(s.name)) {
      const line = lineOf(doc, lc, ['sources', i, 'name']);
      throw new ShardloomError('CONFIG_INVALID', `${file}:${line}: sources[${i}].name: duplicate source name "${s.name}" (also sources[${seen.get(s.name)}])`);
    }
    seen.set(s.name, i);
  });
  const im = cfg.images!;
  if (im.minTiles! > im.maxTiles!) {
    throw new ShardloomError('CONFIG_INVALID', `${file}:${lineOf(doc, lc, ['images', 'minTiles'])}: images.minTiles (${im.minTiles}) must not exceed images.maxTiles (${im.maxTiles})`);
  }
}

/** Ajv reports each failed branch of a oneOf; keep the most specific errors. */
function dedupeErrors(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  const list = specific.length > 0 ? specific : errors;
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = e.instancePath + e.message + JSON.stringify(e.params);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function pathOf(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function displayPath(path: (string | number)[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(top level)';
}

function lineOf(doc: YamlDocument, lc: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return 1;
}

/** The line of a key itself (for "unknown key"), found through the parent map's pair. */
function lineOfKey(doc: YamlDocument, lc: LineCounter, parent: (string | number)[], key: string): number {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  const items = (map as { items?: { key: unknown }[] } | null)?.items ?? [];
  for (const pair of items) {
    const k = pair.key as { value?: unknown; range?: [number, number, number] };
    if (k?.value === key && k.range) return lc.linePos(k.range[0]).line;
  }
  return lineOf(doc, lc, parent);
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let v = data as Record<string | number, unknown> | undefined;
  for (const p of path) v = v?.[p] as Record<string | number, unknown> | undefined;
  return v;
}

function formatError(e: ErrorObject, doc: YamlDocument, lc: LineCounter, file: string, data: unknown): string {
  const path = pathOf(e.instancePath);
  const found = valueAt(data, path);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      return `${file}:${lineOfKey(doc, lc, path, key)}: ${displayPath([...path, key])}: unknown key (allowed here: ${allowedKeys(path, data)})`;
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return `${file}:${lineOf(doc, lc, path)}: ${displayPath([...path, key])}: required key is missing`;
    }
    case 'enum':
      if (path.length === 3 && path[0] === 'sources' && path[2] === 'kind') {
        return `${file}:${lineOf(doc, lc, path)}: ${displayPath(path)}: expected a source kind (${Object.keys(sourceDefinitions()).join(', ')}) but received ${describeValue(found)}`;
      }
      return `${file}:${lineOf(doc, lc, path)}: ${displayPath(path)}: expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')} but received ${describeValue(found)}`;
    default:
      return `${file}:${lineOf(doc, lc, path)}: ${displayPath(path)}: ${e.message ?? e.keyword} but received ${describeValue(found)}`;
  }
}

/** Source kind → schema definition name, read from the schema's Source.oneOf. */
function sourceDefinitions(): Record<string, string> {
  const defs = pipelineSchema().definitions as Record<string, { oneOf?: { $ref: string }[]; properties?: { kind?: { const?: string } } }>;
  const out: Record<string, string> = {};
  for (const { $ref } of defs.Source.oneOf ?? []) {
    const name = $ref.split('/').pop()!;
    const kind = defs[name].properties?.kind?.const;
    if (kind) out[kind] = name;
  }
  return out;
}

function allowedKeys(path: (string | number)[], data: unknown): string {
  const schema = pipelineSchema() as { properties: Record<string, unknown>; definitions: Record<string, { properties?: Record<string, unknown> }> };
  if (path.length === 0) return Object.keys(schema.properties).join(', ');
  const top = path[0];
  if (top === 'sources' && typeof path[1] === 'number') {
    const kind = (valueAt(data, path.slice(0, 2)) as { kind?: string })?.kind;
    const def = sourceDefinitions()[kind ?? ''] ?? 'TextSource';
    const sub = path.length > 2 ? (schema.definitions[def].properties?.[String(path[2])] as { $ref?: string } | undefined)?.$ref?.split('/').pop() : undefined;
    return Object.keys(schema.definitions[sub ?? def].properties ?? {}).join(', ');
  }
  const ref = (schema.properties[String(top)] as { $ref?: string } | undefined)?.$ref?.split('/').pop();
  return ref ? Object.keys(schema.definitions[ref].properties ?? {}).join(', ') : '?';
}
