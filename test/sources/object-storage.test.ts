/**
 * Object-storage and web URLs where shardloom expects a path: refused before any work, naming the key and
 * its line, and saying what to do instead (mount or copy) — not reported as a local path that "matched
 * nothing". s3:// and http(s):// inputs (test/e2e/s3-input.test.ts, test/sources/http-input.test.ts) and s3:// image
 * directories (test/media/s3-image-store.test.ts) are read; s3:// outputs, tar image stores in a bucket and
 * the other schemes are not.
 */
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { unsupportedUrl, urlScheme } from '../../src/core/locations.js';
import { loadConfig } from '../../src/config/load.js';
import { refuseUrls } from '../../src/sources/open.js';
import type { ShardloomError } from '../../src/core/errors.js';

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
    expect(unsupportedUrl('gs://b/shards', 'outputs')).toBe('"gs://b/shards": gs:// outputs are not supported yet — write through GCS\'s S3-interoperable endpoint (s3://bucket/… with AWS_ENDPOINT_URL=https://storage.googleapis.com and an HMAC key), or mount the bucket with gcsfuse and give the mount path');
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
    ['gs://bucket/x.jsonl', /through GCS's S3-interoperable endpoint — the same path as s3:\/\/…, with AWS_ENDPOINT_URL=https:\/\/storage\.googleapis\.com and an HMAC key .* or mount it with gcsfuse/],
    ['hf://datasets/org/name', /https:\/\/huggingface\.co\/datasets\/ORG\/NAME\/resolve\/main\/FILE URL, or download the dataset \(huggingface-cli download/],
    ['ftp://example.com/x.jsonl', /copy the data to a local or shared directory/],
  ])('an input %s: exit 2, the key and its line, what to do', (url, advice) => {
    const r = run(`in-${url.split(':')[0]}`, text(url));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`in-\\w+\\.yaml:4: sources\\[0\\]\\.paths\\[1\\]: "${url.replace(/[.*]/g, (c) => `\\${c}`)}": \\w+:// inputs are not supported — shardloom reads local or mounted paths, s3:// and http\\(s\\):// URLs; `));
    expect(r.stderr).toMatch(advice);
    expect(r.stderr).not.toMatch(/matched nothing|unexpected error/);
  });

  test('an output: --out gs://… is a usage error; output.dir gs://… names the key and its line', () => {
    const local = 'sources:\n  - name: web\n    kind: text\n    paths: ["local.jsonl"]\n';
    const a = run('out-flag', local, ['--out', 'gs://bucket/shards']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--out "gs:\/\/bucket\/shards": gs:\/\/ outputs are not supported yet/);
    const b = run('out-key', `${local}output:\n  dir: gs://bucket/shards\n`);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/out-key\.yaml:6: output\.dir: "gs:\/\/bucket\/shards": gs:\/\/ outputs are not supported yet/);
  });

  test('a tar image store at s3://…, a dir store or a manifest at gs://…: exit 2 naming the key and what works', () => {
    writeFileSync(join(dir, 'docs.jsonl'), '{"text_list":["a"],"image_info":[]}\n');
    const store = (s: string) => `sources:\n  - name: web\n    kind: interleaved\n    paths: ["docs.jsonl"]\n    imageStore: ${s}\n`;
    const tar = run('store-tar', store('{type: tar, path: "s3://bucket/images.tar"}'));
    expect(tar.status).toBe(2);
    expect(tar.stderr).toMatch(/store-tar\.yaml:5: sources\[0\]\.imageStore\.path: "s3:\/\/bucket\/images\.tar": s3:\/\/ tar image stores are not supported — a tar image store is a local or mounted file \(an s3:\/\/ directory of images is read as type: dir\)/);
    // The others in-process (the same check, before any work): no CLI start each.
    const refused = (name: string, s: string) => {
      const cfg = join(dir, `${name}.yaml`);
      writeFileSync(cfg, store(s));
      try { refuseUrls(loadConfig(cfg)); } catch (e) { return { status: (e as ShardloomError).code === 'CONFIG_INVALID' ? 2 : 3, stderr: (e as Error).message }; }
      return { status: 0, stderr: '' };
    };
    expect(refused('store-s3', '{type: dir, path: "s3://bucket/images/", keyBy: manifest, manifest: "https://h.example/m.jsonl"}').status).toBe(0);
    const gs = refused('store-gs', '{type: dir, path: "gs://bucket/images"}');
    expect(gs.stderr).toMatch(/sources\[0\]\.imageStore\.path: "gs:\/\/bucket\/images": gs:\/\/ image stores are not supported — an image store is a local or mounted directory or tar, an s3:\/\/ directory \(type: dir\), or type: http; .*storage\.googleapis\.com/);
    const man = refused('store-man', '{type: dir, path: "imgs", keyBy: manifest, manifest: "hf://datasets/o/n/m.jsonl"}');
    expect(man.stderr).toMatch(/sources\[0\]\.imageStore\.manifest: "hf:\/\/datasets\/o\/n\/m\.jsonl": hf:\/\/ manifests are not supported — a manifest is a local or mounted file, an s3:\/\/ object or an http\(s\):\/\/ URL/);
    const cache = refused('store-cache', '{type: http, cacheDir: "s3://bucket/cache"}');
    expect(cache.stderr).toMatch(/sources\[0\]\.imageStore\.cacheDir: "s3:\/\/bucket\/cache": s3:\/\/ image caches are not supported yet — mount the bucket/);
    expect([gs.status, man.status, cache.status]).toEqual([2, 2, 2]);
  });
});
