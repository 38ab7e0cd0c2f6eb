import { describe, expect, test } from 'vitest';
import { writeFileSync, readFileSync, copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const out = join(dir, 'out');

describe('CLI', () => {
  test('--help teaches every command; no command or an unknown one is a usage error (2)', () => {
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    for (const c of ['run <config>', 'validate <dir>', 'stats <dir>', 'inspect <shard>']) expect(help.stdout).toContain(c);
    for (const c of ['run', 'validate', 'stats', 'inspect']) {
      const h = cli([c, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toContain('Examples:');
    }
    expect(cli([]).status).toBe(2);
    const unknown = cli(['rnu', 'x.yaml']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown argument|Did you mean run/);
  });

  test('config errors exit 2 and name the key and line', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'sources:\n  - name: a\n    kind: text\n    paths: [x.jsonl]\npack:\n  maxTokens: "16k"\n');
    const r = cli(['run', join(dir, 'bad.yaml'), '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad.yaml:6: pack.maxTokens: must be integer but received "16k" of type string');
    expect(cli(['run', join(dir, 'missing.yaml')]).stderr).toContain('config file not found');
    writeFileSync(join(dir, 'noinput.yaml'), 'sources:\n  - name: a\n    kind: text\n    paths: ["nothing/*.jsonl"]\n');
    const none = cli(['run', join(dir, 'noinput.yaml'), '--out', join(dir, 'o2')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/sources\[0\] \("a"\): no input files — "nothing\/\*\.jsonl" matched nothing/);
  });

  test('run → stats → validate → inspect on the sample, with --json where a machine reads it', () => {
    const run = cli(['run', 'pipelines/sample.yaml', '--out', out, '--quiet']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Shards written to ${out}`);
    expect(run.stdout).toMatch(/source\s+target\s+realised/);
    const stats = cli(['stats', out, '--json']);
    expect(stats.status).toBe(0);
    const s = JSON.parse(stats.stdout);
    expect(s.totals.rows).toBeGreaterThan(0);
    const html = cli(['stats', out, '--html', join(dir, 'report.html')]);
    expect(html.status, html.stderr).toBe(0);
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(page).toContain('Contact sheet');
    expect((page.match(/src="data:image\/jpeg;base64,/g) ?? []).length).toBeGreaterThan(5);
    const ok = cli(['validate', out, '--config', 'pipelines/sample.yaml']);
    expect(ok.stdout).toContain('OK: all checks passed');
    expect(ok.status).toBe(0);
    const v = JSON.parse(cli(['validate', out, '--json']).stdout);
    expect(v.ok).toBe(true);
    expect(v.measured.tokens).toBe(s.totals.tokens);
    const ins = cli(['inspect', join(out, 'part-00000.parquet'), '--row', '0', '--max-chars', '200']);
    expect(ins.status, ins.stderr).toBe(0);
    expect(ins.stdout).toMatch(/row 0: \d+ tokens, \d+ samples/);
    expect(ins.stdout).toMatch(/── sample 0: \S+ \[[a-z-]+\] \d+ tokens, \d+ images/);
    const tilesDir = join(dir, 'tiles');
    const withTiles = cli(['inspect', join(out, 'part-00000.parquet'), '--row', '0', '--tiles-out', tilesDir]);
    expect(withTiles.status, withTiles.stderr).toBe(0);
    const files = readdirSync(tilesDir);
    expect(files.length).toBeGreaterThan(0);
    expect(withTiles.stdout).toContain(`${files.length} tiles written to ${tilesDir}`);
    expect(files.every((f) => /^row00000-img\d{3}-tile\d{2}\.jpg$/.test(f)) && files.includes('row00000-img000-tile00.jpg')).toBe(true);
    const jpeg = readFileSync(join(tilesDir, files[0]));
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    const far = cli(['inspect', join(out, 'part-00000.parquet'), '--row', '99999']);
    expect(far.status).toBe(2);
    expect(far.stderr).toMatch(/has \d+ rows; --row 99999 is out of range/);
  });

  test('validate exits 1 and says what is wrong on a tampered shard', () => {
    const tampered = join(dir, 'tampered');
    cli(['run', 'pipelines/sample.yaml', '--out', tampered, '--quiet']);
    const shard = join(tampered, 'part-00000.parquet');
    const bytes = readFileSync(shard);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(shard, bytes);
    const r = cli(['validate', tampered]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL \[checksum\] part-00000\.parquet: SHA-256 differs from index.json/);
    copyFileSync(join(tampered, 'part-00000.arrow'), join(tampered, 'x'));
    expect(cli(['validate', join(dir, 'nowhere')]).status).toBe(1);
    expect(cli(['stats', join(dir, 'nowhere')]).status).toBe(2);
  });
});
