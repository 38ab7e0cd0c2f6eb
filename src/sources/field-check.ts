/**
 * A look at the first records of a source before the run: does the field the config names exist? A wrong
 * `field:` (text) or `captionField:` / `imageField:` (caption JSONL) otherwise turns every record into a
 * `field.missing` reject until the reject breaker stops the run, with a message that says neither which key
 * is wrong nor what the records hold. Only local JSONL files (plain or .gz) are looked at, and only their
 * first records: a peek, not a read (nothing of it is used; the run reads and verifies the file as always).
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { keyLocation } from '../config/load.js';
import type { ResolvedConfig, Source } from '../config/types.js';
import { ShardloomError } from '../core/errors.js';
import { isRemoteInput } from './remote.js';
import { jsonObjects, splitLines, stripCompression } from './lines.js';
import { expandPaths, type InputUnit } from './units.js';

export interface FieldProbe {
  source: string;
  /** The file looked at (as shown in rejects) and how many records of it were read. */
  file: string;
  records: number;
  /** The keys of the first record, in its order. */
  fields: string[];
  /** Where the first record is: `line N`. */
  location: string;
  /** The configured fields that none of the records read has: key path → field name. */
  missing: { key: (string | number)[]; field: string; defaulted: boolean }[];
}

/** The fields a source's records must have, with their config keys; none for kinds read otherwise. */
function requiredFields(src: Source, i: number): { key: (string | number)[]; field: string }[] {
  if (src.kind === 'text') return [{ key: ['sources', i, 'field'], field: src.field }];
  if (src.kind === 'caption') return [{ key: ['sources', i, 'captionField'], field: src.captionField }, { key: ['sources', i, 'imageField'], field: src.imageField }];
  return [];
}

function isJsonl(unit: InputUnit, src: Source): boolean {
  if ('format' in src && src.format && src.format !== 'auto') return src.format === 'jsonl';
  return /\.(jsonl|ndjson|json)$/i.test(stripCompression(unit.path));
}

/**
 * The first `limit` records of the source's first local JSONL unit (plain or gzip), and which configured
 * fields none of them has; null when the source is not of that sort or has no record to look at.
 */
export async function probeFields(cfg: ResolvedConfig, i: number, units: InputUnit[], limit: number): Promise<FieldProbe | null> {
  const src = cfg.sources[i];
  const wanted = requiredFields(src, i);
  const unit = units.find((u) => !isRemoteInput(u.path) && !u.part && isJsonl(u, src) && !/\.zst$/i.test(u.path));
  if (wanted.length === 0 || !unit) return null;
  const seen = new Set<string>();
  let first: { fields: string[]; location: string } | undefined;
  let records = 0;
  const bytes = createReadStream(unit.path);
  try {
    const stream = /\.gz$/i.test(unit.path) ? bytes.pipe(createGunzip()) : bytes;
    for await (const j of jsonObjects(splitLines(stream as AsyncIterable<Uint8Array>, 1 << 26), () => {})) {
      first ??= { fields: Object.keys(j.record), location: j.location };
      for (const w of wanted) if (j.record[w.field] !== undefined && j.record[w.field] !== null) seen.add(w.field);
      if (++records >= limit || seen.size === wanted.length) break;
    }
  } catch {
    return null; // unreadable or corrupt: the run's reader reports it as a reject, with its reason
  } finally {
    bytes.destroy();
  }
  if (!first) return null;
  const missing = wanted.filter((w) => !seen.has(w.field)).map((w) => ({ ...w, defaulted: !userSet(cfg, w.key) }));
  return { source: src.name, file: unit.display, records, fields: first.fields, location: first.location, missing };
}

/** Whether the key is written in the config file (else it holds its default). */
function userSet(cfg: ResolvedConfig, key: (string | number)[]): boolean {
  const loc = keyLocation(cfg, key);
  const parent = keyLocation(cfg, key.slice(0, -1));
  return loc !== parent;
}

/** One line: the source, the key and its line, what was expected and what the first record has. */
export function describeMissingField(cfg: ResolvedConfig, p: FieldProbe): string {
  const m = p.missing[0];
  const key = `sources[${m.key[1]}].${m.key[2]}`;
  const setting = m.defaulted ? `${key} (default "${m.field}", not set)` : `${keyLocation(cfg, m.key)}: ${key}: "${m.field}"`;
  const none = p.records === 1 ? 'the first record' : `none of the first ${p.records} records`;
  return `source "${p.source}": ${setting} — ${none} of ${p.file} has a "${m.field}" field; the first record (${p.location}) has: ${p.fields.join(', ') || 'no fields'}. Set ${key} to the field that holds it.`;
}

/**
 * Refuse a config whose named field is in none of the first records of a source, when there are at least
 * as many of them as the reject breaker would take (run.maxConsecutiveRejects): such a run could only stop
 * on its breaker. A source with fewer records, or a breaker of 0, is left to the run (rejects, as before).
 */
export async function checkSourceFields(cfg: ResolvedConfig): Promise<void> {
  const breaker = cfg.run.maxConsecutiveRejects;
  if (!breaker) return;
  for (const [i, src] of cfg.sources.entries()) {
    if (requiredFields(src, i).length === 0) continue;
    // Local patterns only: listing a bucket twice is not worth a peek; openSources reports what matches nothing.
    const { units } = await expandPaths(src.name, src.paths.filter((p) => !isRemoteInput(p)), cfg.baseDir);
    const p = await probeFields(cfg, i, units, breaker);
    if (p && p.missing.length > 0 && p.records >= breaker) throw new ShardloomError('CONFIG_INVALID', describeMissingField(cfg, p));
  }
}
