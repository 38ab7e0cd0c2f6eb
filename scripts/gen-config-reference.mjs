#!/usr/bin/env node
/**
 * Write docs/config-reference.md from schemas/pipeline.schema.json: every key of a pipeline config as a
 * dotted path, with its type, default, allowed values and description. The schema is the one source of
 * truth; this page is only a view of it (test/config/schema-strict.test.ts fails when it is out of date).
 *
 *   npm run gen:config-reference            # (re)write the page
 *   node scripts/gen-config-reference.mjs --check [PAGE]   # exit 1 when the page (default: ours) differs from the schema
 *
 * A key without a description is an error: the page would have a hole where a user looks for an answer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const schemaPath = join(root, 'schemas', 'pipeline.schema.json');
export const pagePath = join(root, 'docs', 'config-reference.md');

/** The page for `schema` (a parsed pipeline.schema.json). Throws naming the keys that have no description. */
export function renderConfigReference(schema) {
  const resolve = (node) => {
    if (!node?.$ref) return node;
    const target = node.$ref.replace(/^#\//, '').split('/').reduce((n, p) => n?.[p.replace(/~1/g, '/').replace(/~0/g, '~')], schema);
    if (!target) throw new Error(`unresolved $ref ${node.$ref}`);
    const { $ref: _ref, ...local } = node;
    return { ...resolve(target), ...local }; // a key's own description / default win over its definition's
  };
  const missing = [];

  /**
   * Rows of `obj`'s keys under the dotted prefix `at`, each nested object's keys after it — but for a key
   * with a section of its own (`see`: key → section titles), which is linked instead.
   */
  const rowsOf = (obj, at, see = {}) => {
    const rows = [];
    const required = new Set(obj.required ?? []);
    for (const [key, raw] of Object.entries(obj.properties ?? {})) {
      const p = resolve(raw);
      const path = at ? `${at}.${key}` : key;
      if (!p.description) missing.push(path);
      const allowed = see[key] ? 'see ' + see[key].map((t) => `[${t}](#${anchor(t)})`).join(', ') : allowedOf(p, resolve);
      rows.push([path, typeOf(p, resolve), required.has(key) ? '*required*' : defaultOf(p), allowed, p.description ?? '']);
      if (p.properties && !see[key]) rows.push(...rowsOf(p, path));
    }
    return rows;
  };

  const kinds = (resolve(schema.properties.sources.items).oneOf ?? []).map(resolve);
  const kindTitle = (kind) => `sources[] — kind: ${kind.properties.kind.const}`;
  const see = {};
  for (const [k, v] of Object.entries(schema.properties)) {
    if (k === 'sources') see[k] = kinds.map(kindTitle);
    else if (resolve(v).properties) see[k] = [k];
  }
  const sections = [['Top level', schema.description, rowsOf(schema, '', see)]];
  for (const k of Object.keys(see)) {
    if (k === 'sources') for (const kind of kinds) sections.push([kindTitle(kind), kind.description, rowsOf(kind, 'sources[]')]);
    else sections.push([k, resolve(schema.properties[k]).description, rowsOf(resolve(schema.properties[k]), k)]);
  }
  if (missing.length > 0) throw new Error(`schemas/pipeline.schema.json: keys without a description: ${missing.join(', ')}`);

  const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out = [
    '# Pipeline config reference',
    '',
    '<!-- Generated from schemas/pipeline.schema.json by `npm run gen:config-reference` — do not edit. -->',
    '',
    'Every key of a pipeline YAML file, generated from [`schemas/pipeline.schema.json`](../schemas/pipeline.schema.json),',
    'the one source of truth (the loader checks configs against it; editors complete from it). Keys are dotted paths;',
    '`sources[]` stands for each item of the `sources` list, whose keys depend on its `kind`. Paths in a config are',
    'relative to the config file. A key marked *required* has no default; any other key may be left out.',
    '',
    ...sections.map(([title]) => `- [${title}](#${anchor(title)})`),
  ];
  for (const [title, description, rows] of sections) {
    out.push('', `## ${title}`, '');
    if (description) out.push(description, '');
    out.push('| Key | Type | Default | Allowed values | Description |', '|---|---|---|---|---|');
    for (const [path, type, def, allowed, desc] of rows) out.push(`| \`${cell(path)}\` | ${cell(type)} | ${cell(def)} | ${cell(allowed)} | ${cell(desc)} |`);
  }
  return out.join('\n') + '\n';
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(title) {
  return title.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

const code = (v) => '`' + (typeof v === 'string' ? v : JSON.stringify(v)) + '`';

function typeOf(p, resolve) {
  if (p.const !== undefined) return typeof p.const;
  const branches = p.oneOf ?? p.anyOf;
  if (branches) return [...new Set(branches.map((b) => typeOf(resolve(b), resolve)))].join(' or ');
  const types = Array.isArray(p.type) ? p.type : p.type ? [p.type] : p.enum ? [...new Set(p.enum.map((v) => (v === null ? 'null' : typeof v)))] : [];
  return types.map((t) => (t === 'array' ? `array of ${p.items ? typeOf(resolve(p.items), resolve) : 'any'}` : t)).join(' or ') || 'any';
}

function defaultOf(p) {
  return p.default === undefined ? '—' : code(p.default);
}

/** The values a key accepts beyond its type: enum, const, bounds, pattern, list rules. */
function allowedOf(p, resolve) {
  const parts = [];
  if (p.enum) parts.push(p.enum.length === 1 ? code(p.enum[0]) : `one of ${p.enum.map(code).join(', ')}`);
  if (p.const !== undefined) parts.push(code(p.const));
  const lo = p.minimum !== undefined ? `≥ ${p.minimum}` : p.exclusiveMinimum !== undefined ? `> ${p.exclusiveMinimum}` : null;
  const hi = p.maximum !== undefined ? `≤ ${p.maximum}` : p.exclusiveMaximum !== undefined ? `< ${p.exclusiveMaximum}` : null;
  if (lo) parts.push(lo);
  if (hi) parts.push(hi);
  if (p.minLength) parts.push(p.minLength === 1 ? 'not empty' : `at least ${p.minLength} characters`);
  if (p.pattern) parts.push(`matches ${code(p.pattern)}`);
  if (p.minItems) parts.push(`at least ${p.minItems} item${p.minItems > 1 ? 's' : ''}`);
  if (p.uniqueItems) parts.push('no repeats');
  if (p.items) {
    const each = allowedOf(resolve(p.items), resolve);
    if (each !== '—') parts.push(`each ${each}`);
  }
  const branches = p.oneOf ?? p.anyOf;
  if (branches) {
    parts.push(branches.map(resolve).map((b) => {
      const a = allowedOf(b, resolve);
      return b.const !== undefined ? a : `${typeOf(b, resolve)}${a === '—' ? '' : ` ${a}`}`;
    }).join('; or '));
  }
  if (p.additionalProperties === false && p.properties && !p.enum) parts.push('the keys below');
  return parts.join(', ') || '—';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const page = renderConfigReference(JSON.parse(readFileSync(schemaPath, 'utf8')));
  const at = process.argv.indexOf('--check');
  if (at >= 0) {
    const file = process.argv[at + 1] ?? pagePath;
    let current = '';
    try { current = readFileSync(file, 'utf8'); } catch { /* a missing page is out of date */ }
    if (current !== page) {
      console.error(`${file === pagePath ? 'docs/config-reference.md' : file} is out of date with schemas/pipeline.schema.json: run npm run gen:config-reference`);
      process.exit(1);
    }
  } else {
    writeFileSync(pagePath, page);
    console.log(`wrote ${pagePath}`);
  }
}
