#!/usr/bin/env node
/**
 * Write src/config/validator.gen.ts: the pipeline config validator that src/config/load.ts runs, compiled
 * ahead of time by Ajv's standalone code generation (https://ajv.js.org/standalone.html), so that a run
 * neither loads Ajv's compiler nor compiles the schema at start-up. The schema is the one source of truth;
 * the generated file is only a compiled form of it (test/config/validator-gen.test.ts fails when it is out
 * of date, and checks that it gives the errors and defaults a freshly compiled Ajv gives).
 *
 *   npm run gen:validator                         # (re)write src/config/validator.gen.ts
 *   node scripts/gen-validator.mjs --check [FILE]  # exit 1 when the file (default: ours) differs from the schema
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const schemaPath = join(root, 'schemas', 'pipeline.schema.json');
export const validatorPath = join(root, 'src', 'config', 'validator.gen.ts');

// ajv/dist/standalone is CommonJS: under Node's ESM its function is the module itself or its `default`.
const standaloneCode = typeof standaloneModule === 'function' ? standaloneModule : standaloneModule.default;

/** The options the loader validates with (allErrors: every problem at once; useDefaults: fill defaults). */
export const ajvOptions = { allErrors: true, useDefaults: true, strict: true };

/** Source kind → schema definition name, read from the schema's Source.oneOf. */
function sourceDefinitions(schema) {
  const defs = schema.definitions;
  const out = {};
  for (const { $ref } of defs.Source.oneOf ?? []) {
    const name = $ref.split('/').pop();
    const kind = defs[name].properties?.kind?.const;
    if (kind) out[kind] = name;
  }
  return out;
}

/**
 * The schema as the loader compiles it. The published one says a source is one of the four kinds (a plain
 * oneOf: what editors, json2ts and strict validators understand). The loader picks the branch by `kind`
 * itself (if/then), so that a source is checked against its own kind only — one message per problem, not
 * one per kind it is not — and only that kind's defaults are filled (with useDefaults, Ajv fills the
 * defaults of every branch of a oneOf into the data, which then matches none of them).
 */
export function loaderSchema(pipelineSchema) {
  const schema = structuredClone(pipelineSchema);
  const kinds = sourceDefinitions(schema);
  schema.definitions.Source = {
    type: 'object',
    required: ['kind'],
    properties: { kind: { enum: Object.keys(kinds) } },
    allOf: Object.entries(kinds).map(([kind, def]) => ({
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      then: { $ref: `#/definitions/${def}` },
    })),
  };
  return schema;
}

const HEADER = `// @ts-nocheck
/* eslint-disable */
/*
 * Generated from schemas/pipeline.schema.json by \`npm run gen:validator\` (scripts/gen-validator.mjs) — do not edit.
 * Ajv's standalone code for the loader's schema, compiled with ${JSON.stringify(ajvOptions)}.
 */
`;

/** The text of src/config/validator.gen.ts for `schema` (a parsed pipeline.schema.json). */
export function renderValidator(schema) {
  // code.lines only puts the generated statements on lines of their own (a readable diff); it does not
  // change what the validator does.
  const ajv = new Ajv({ ...ajvOptions, code: { source: true, esm: true, lines: true } });
  let code = standaloneCode(ajv, ajv.compile(loaderSchema(schema)));
  // Ajv refers to its runtime helpers (deep equality, string length in code points …) with require(), even
  // with esm: an ES module has no require, so import them instead. They are CommonJS: under Node's ESM the
  // default import is module.exports ({ default: fn }); a bundler may hand over fn itself.
  const imports = [];
  code = code.replace(/require\("(ajv\/dist\/runtime\/[\w-]+)"\)\.default/g, (_, mod) => {
    const name = `runtime_${mod.split('/').pop().replace(/\W/g, '_')}`;
    if (!imports.some((i) => i.name === name)) imports.push({ name, mod });
    return `(${name}.default ?? ${name})`;
  });
  if (/\brequire\(/.test(code)) throw new Error(`the generated validator still calls require(): ${code.match(/\brequire\([^)]*\)/)[0]}`);
  const lines = imports.map(({ name, mod }) => `import ${name} from "${mod}.js";\n`).join('');
  if (!code.startsWith('"use strict";\n')) throw new Error('unexpected start of Ajv\'s standalone code');
  return `${HEADER}"use strict";\n${lines}${code.slice('"use strict";\n'.length).trimEnd()}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = renderValidator(JSON.parse(readFileSync(schemaPath, 'utf8')));
  const at = process.argv.indexOf('--check');
  if (at >= 0) {
    const file = process.argv[at + 1] ?? validatorPath;
    let current = '';
    try { current = readFileSync(file, 'utf8'); } catch { /* a missing file is out of date */ }
    if (current !== text) {
      console.error(`${file === validatorPath ? 'src/config/validator.gen.ts' : file} is out of date with schemas/pipeline.schema.json: run npm run gen:validator`);
      process.exit(1);
    }
  } else {
    writeFileSync(validatorPath, text);
    console.log(`wrote ${validatorPath}`);
  }
}
