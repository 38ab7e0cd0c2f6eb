import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { expandPaths } from '../../src/sources/units.js';
import { checkSourceFields, probeFields } from '../../src/sources/field-check.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const lines = (n: number, rec: (i: number) => object) => Array.from({ length: n }, (_, i) => JSON.stringify(rec(i))).join('\n') + '\n';
writeFileSync(join(dir, 'many.jsonl'), lines(150, (i) => ({ id: `d${i}`, content: `hello ${i}`, lang: 'en' })));
writeFileSync(join(dir, 'few.jsonl.gz'), gzipSync(lines(3, (i) => ({ id: `d${i}`, body: `hi ${i}` }))));
writeFileSync(join(dir, 'late.jsonl'), lines(120, (i) => (i < 50 ? { id: i } : { id: i, text: 'x' })));
writeFileSync(join(dir, 'caps.jsonl'), lines(5, () => ({ url: 'a.jpg', alt: 'a cat' })));

function config(name: string, source: string): string {
  const p = join(dir, name);
  writeFileSync(p, `name: t\nsources:\n  - name: web\n    kind: text\n${source}`);
  return p;
}

describe('a source field no record has is a setup error naming the source, key, line and the fields there are', () => {
  test('a wrong field: over as many records as the reject breaker takes → CONFIG_INVALID, one line', async () => {
    const cfg = loadConfig(config('wrong.yaml', '    paths: [many.jsonl]\n    field: body\n'));
    const err = await checkSourceFields(cfg).then(() => null, (e: Error & { code?: string }) => e);
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toBe(
      `source "web": ${join(dir, 'wrong.yaml')}:6: sources[0].field: "body" — none of the first 100 records of many.jsonl has a "body" field; ` +
        'the first record (line 1) has: id, content, lang. Set sources[0].field to the field that holds it.',
    );
    expect(err?.message).not.toContain('\n');
  });

  test('the default field, unset, is said to be the default', async () => {
    const cfg = loadConfig(config('default.yaml', '    paths: [many.jsonl]\n'));
    await expect(checkSourceFields(cfg)).rejects.toThrow('source "web": sources[0].field (default "text", not set) — none of the first 100 records of many.jsonl has a "text" field; the first record (line 1) has: id, content, lang.');
  });

  test('not refused: fewer records than the breaker, a field that appears later, a breaker of 0', async () => {
    const few = loadConfig(config('few.yaml', '    paths: [few.jsonl.gz]\n'));
    await expect(checkSourceFields(few)).resolves.toBeUndefined();
    // …but the probe (what run --dry-run shows) still sees it: 3 records of a gzip file, none with "text".
    const p = await probeFields(few, 0, (await expandPaths('web', ['few.jsonl.gz'], dir)).units, 100);
    expect(p).toMatchObject({ records: 3, fields: ['id', 'body'], missing: [{ field: 'text', defaulted: true }] });
    await expect(checkSourceFields(loadConfig(config('late.yaml', '    paths: [late.jsonl]\n')))).resolves.toBeUndefined();
    await expect(checkSourceFields(loadConfig(config('off.yaml', '    paths: [many.jsonl]\n    field: body\nrun:\n  maxConsecutiveRejects: 0\n')))).resolves.toBeUndefined();
  });

  test('caption JSONL: captionField and imageField are checked too', async () => {
    const p = join(dir, 'caps.yaml');
    writeFileSync(p, 'sources:\n  - name: caps\n    kind: caption\n    paths: [caps.jsonl]\n    imageField: url\n');
    const cfg = loadConfig(p);
    const probe = await probeFields(cfg, 0, (await expandPaths('caps', ['caps.jsonl'], dir)).units, 100);
    expect(probe).toMatchObject({ file: 'caps.jsonl', records: 5, fields: ['url', 'alt'], missing: [{ key: ['sources', 0, 'captionField'], field: 'caption', defaulted: true }] });
  });
});
