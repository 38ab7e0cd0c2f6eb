/**
 * Read a source the way a run does, for tests: `openSources` expands the paths and rejects listed files
 * that are missing, the kind's reader reads every unit, and the run's own reject sink, stats and logger
 * collect what happened. Nothing here makes a reject itself.
 */
import type { Document } from '../../src/core/model.js';
import type { ResolvedConfig, Source } from '../../src/config/types.js';
import type { Source as SourceIn } from '../../src/config/types.gen.js';
import { sourceConfig } from '../../src/config/load.js';
import { Rejects } from '../../src/core/rejects.js';
import { Stats } from '../../src/core/stats.js';
import { silentLogger } from '../../src/core/log.js';
import { openSources, readers } from '../../src/sources/open.js';
import type { SourceReader } from '../../src/sources/reader.js';

/** Every document and reject of one source config (paths relative to `baseDir`), with its warnings and counters. */
export async function readSource(raw: Source | SourceIn, baseDir: string) {
  const cfg = sourceConfig(raw); // defaults filled as loadConfig fills them (idempotent on a loaded source)
  const stats = new Stats();
  const rejects = new Rejects(stats, undefined, 0, true);
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (m: string) => warnings.push(m) };
  const config = { sources: [cfg], baseDir } as Pick<ResolvedConfig, 'sources' | 'baseDir'> as ResolvedConfig;
  const [src] = await openSources(config, { rank: 0, worldSize: 1, rejects, signal: new AbortController().signal, log, stats });
  const docs: Document[] = [];
  for await (const d of src.documents()) docs.push(d);
  return { docs, ids: docs.map((d) => d.id), rejects: rejects.records, units: src.units, warnings, stats };
}

/** `readSource`, for tests that name the reader: it must be the one registered for the config's kind. */
export async function readAll<C extends Source>(reader: SourceReader<C>, cfg: C | SourceIn, baseDir: string) {
  if ((readers as Record<string, unknown>)[cfg.kind] !== reader) throw new Error(`readAll: the reader given is not the ${cfg.kind} reader`);
  return readSource(cfg, baseDir);
}

export const texts = (docs: Document[]) => docs.map((d) => (d.segments[0] as { text: string }).text);
