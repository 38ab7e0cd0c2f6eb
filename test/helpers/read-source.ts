import type { Document } from '../../src/core/model.js';
import type { Source } from '../../src/config/types.js';
import type { RejectRecord } from '../../src/core/rejects.js';
import type { SourceReader } from '../../src/sources/types.js';
import { expandPaths } from '../../src/sources/units.js';

/** Read every document of a source config through one reader, collecting rejects. */
export async function readAll<C extends Source>(reader: SourceReader<C>, cfg: C, baseDir: string) {
  const docs: Document[] = [];
  const rejects: RejectRecord[] = [];
  const { units, missing } = await expandPaths(cfg.name, cfg.paths, baseDir);
  for (const m of missing) rejects.push({ source: cfg.name, file: m, location: 'file', reason: 'file.missing' });
  const ctx = { signal: new AbortController().signal, reject: (r: Omit<RejectRecord, 'source'>) => rejects.push({ ...r, source: cfg.name }) };
  for (const u of units) for await (const d of reader.read(u, cfg, ctx)) docs.push(d);
  return { docs, rejects, units };
}

export const texts = (docs: Document[]) => docs.map((d) => (d.segments[0] as { text: string }).text);
