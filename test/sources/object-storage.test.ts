/**
 * Object-storage and web URLs where shardloom expects a path: refused before any work, naming the key and
 * its line, and saying what to do instead (mount or copy) — not reported as a local path that "matched
 * nothing". s3:// inputs are read (test/sources/s3-input.test.ts); s3:// outputs and image stores, and the
 * other schemes, are not built yet.
 */
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { unsupportedUrl, urlScheme } from '../../src/core/locations.js';

const dir = tempDir();
const run = (name: string, yaml: string, extra: string[] = []) => {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, yaml);
  return cli(['run', cfg, '--quiet', ...extra]);
};
const text = (p: string) => `sources:\n  - name: web\n    kind: text\n    paths: ["local.jsonl", "${p}"]\n`;

describe('URLs where paths are expected', () => {
  test('schemes are recognised; local paths (also with colons) are not URLs', () => {
    expect(['s3://b/k', 'GS://b/k', 'hf://datasets/x', 'https://x/y.jsonl', 'data/a.jsonl', '/abs/a:b.jsonl', 'C:\\data\\a.jsonl'].map(urlScheme)).toEqual(['s3', 'gs', 'hf', 'https', null, null, null]);
    expect(unsupportedUrl('data/x', 'inputs')).toBeNull();
  });

  test('an s3:// input is not refused: it is listed (here: no server on the endpoint → exit 2 naming the pattern)', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1' };
    writeFileSync(join(dir, 'in-s3.yaml'), text('s3://bucket/x/*.jsonl'));
    const r = cli(['run', join(dir, 'in-s3.yaml'), '--quiet'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"s3:\/\/bucket\/x\/\*\.jsonl": cannot list the objects — .*ECONNREFUSED/);
    expect(r.stderr).not.toMatch(/not supported yet|unexpected error/);
  });

  test.each([
    ['gs://bucket/x.jsonl', /gcsfuse/],
    ['hf://datasets/org/name', /huggingface-cli download/],
    ['https://example.com/x.jsonl', /download the files first/],
  ])('an input %s: exit 2, the key and its line, what to do', (url, advice) => {
    const r = run(`in-${url.split(':')[0]}`, text(url));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`in-\\w+\\.yaml:4: sources\\[0\\]\\.paths\\[1\\]: "${url.replace(/[.*]/g, (c) => `\\${c}`)}": \\w+:// inputs are not supported yet — shardloom reads and writes local or mounted paths`));
    expect(r.stderr).toMatch(advice);
    expect(r.stderr).not.toMatch(/matched nothing|unexpected error/);
  });

  test('an output: --out s3://… is a usage error; output.dir gs://… names the key and its line', () => {
    const local = 'sources:\n  - name: web\n    kind: text\n    paths: ["local.jsonl"]\n';
    const a = run('out-flag', local, ['--out', 's3://bucket/shards']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--out "s3:\/\/bucket\/shards": s3:\/\/ outputs are not supported yet/);
    const b = run('out-key', `${local}output:\n  dir: gs://bucket/shards\n`);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/out-key\.yaml:6: output\.dir: "gs:\/\/bucket\/shards": gs:\/\/ outputs are not supported yet/);
  });

  test('an image store at s3://…: exit 2 naming the key (an http store is the way to fetch by URL)', () => {
    writeFileSync(join(dir, 'docs.jsonl'), '{"text_list":["a"],"image_info":[]}\n');
    const r = run('store', 'sources:\n  - name: web\n    kind: interleaved\n    paths: ["docs.jsonl"]\n    imageStore: {type: dir, path: "s3://bucket/images"}\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/sources\[0\]\.imageStore\.path: "s3:\/\/bucket\/images": s3:\/\/ image stores are not supported yet.*an http image store fetches images by their URLs/);
  });
});
