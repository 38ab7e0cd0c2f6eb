/**
 * The source conformance suite: every reader — each source kind, each input format (test/helpers/
 * conformance.ts) — runs the same cases through `openSources` as a run does: good records, an empty file, a
 * malformed record, a file cut in the middle, a listed file that does not exist. The round trip into
 * shards is test/e2e/sources.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Source } from '../../src/config/types.js';
import type { Document } from '../../src/core/model.js';
import { tempDir } from '../helpers/tmp.js';
import { readSource } from '../helpers/read-source.js';
import { type Expected, fixtures, type SourceFixture } from '../helpers/conformance.js';

const root = tempDir();
const N = 6;
const BAD = 2;

/** Documents as JSON, with the input's folder replaced (clip and image paths are absolute) and bytes hashed. */
const portable = (docs: Document[], dir: string) =>
  docs.map((d) => JSON.parse(JSON.stringify(d, (_k, v) => (v instanceof Uint8Array ? `bytes:${createHash('sha1').update(v).digest('hex')}` : v)).split(dir).join('<dir>')) as Document);

function suite(fx: SourceFixture) {
  const folder = (label: string) => {
    const d = join(root, fx.name.replace(/[^a-z0-9]+/gi, '-'), label);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const cfg = (paths: string[]) => ({ name: 'src', kind: fx.kind, paths, ...fx.config }) as Source;
  const own = (location: string) => fx.ownLocation?.(location) ?? location;
  /** The ids and rejects of a read (or a fixture's expectation of them). */
  const outcome = (r: { ids: string[]; rejects: { file: string; location: string; reason: string }[] }) => ({ ids: r.ids, rejects: r.rejects.map((x) => [x.file, own(x.location), x.reason]) });
  const expected = (e: Expected) => outcome({ ids: e.ids, rejects: e.rejects.map(([file, location, reason]) => ({ file, location, reason })) });
  /** Documents to compare across inputs: portable, each location the record's own. */
  const comparable = (docs: Document[], dir: string) =>
    portable(docs, dir).map((d) => ({ ...d, provenance: { ...d.provenance, location: own(d.provenance.location) } }));
  /** The documents of the good input, keyed by id, to compare a damaged input's documents with. */
  const goodDocs = async () => {
    const dir = folder('reference');
    const exp = await fx.good(dir, N);
    return new Map(comparable((await readSource(cfg(exp.paths), dir)).docs, dir).map((d) => [d.id, d]));
  };

  test('good input: the expected documents, with the same ids on a second read and from another folder', async () => {
    const a = folder('good');
    const exp = await fx.good(a, N);
    const first = await readSource(cfg(exp.paths), a);
    expect(outcome(first)).toEqual(expected(exp));
    expect(exp.rejects).toEqual([]);
    for (const d of first.docs) expect(d).toMatchObject({ source: 'src', kind: fx.kind, provenance: { source: 'src' } });
    expect((await readSource(cfg(exp.paths), a)).ids).toEqual(exp.ids);
    const b = folder('elsewhere/deeper');
    await fx.good(b, N);
    const moved = await readSource(cfg(exp.paths), b);
    expect(portable(moved.docs, b)).toEqual(portable(first.docs, a));
  });

  test('empty file: no documents, no crash', async () => {
    const dir = folder('empty');
    const exp = await fx.empty(dir);
    expect(exp.ids).toEqual([]);
    expect(outcome(await readSource(cfg(exp.paths), dir))).toEqual(expected(exp));
  });

  /** A damaged input: exactly one reject, as the fixture says, and the good records read as from a clean file. */
  const damaged = async (name: string, make: (dir: string) => Promise<Expected>) => {
    const dir = folder(name);
    const exp = await make(dir);
    expect(exp.rejects).toHaveLength(1);
    const r = await readSource(cfg(exp.paths), dir);
    expect(outcome(r)).toEqual(expected(exp));
    const good = await goodDocs();
    expect(comparable(r.docs, dir)).toEqual(exp.ids.map((id) => good.get(id)));
  };

  test('a malformed record: one reject with its location and reason, the others read unchanged', () => damaged('malformed', (dir) => fx.malformed(dir, N, BAD)));

  test('a file cut in the middle: a reject naming the file, and only whole records before the cut', () => damaged('truncated', (dir) => fx.truncated(dir, N)));

  test('a listed file that does not exist: file.missing, and the rest is read', async () => {
    const dir = folder('missing');
    const exp = await fx.good(dir, 2);
    const absent = 'absent-' + exp.paths[0].replace(/\*/g, 'x'); // a literal path: a glob that matches nothing is only a warning
    const r = await readSource(cfg([absent, ...exp.paths]), dir);
    expect(outcome(r)).toEqual(expected({ ...exp, rejects: [[absent, 'file', 'file.missing']] }));
  });
}

for (const fx of fixtures) describe(fx.name, () => suite(fx));
