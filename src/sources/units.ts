/**
 * Input units: the files of a source, expanded from paths, globs and brace ranges, sorted so that
 * every machine sees the same list in the same order. Units are what ranks split among themselves.
 * With more than one rank, a file too big for balance is split into parts (`splitUnits`): Parquet row
 * groups, or byte ranges of whole WebDataset samples. With one rank a unit is always a whole file.
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import fg from 'fast-glob';
import { isS3Url, listS3 } from './s3.js';
import { displayUrl, httpGlobProblem, isHttpUrl } from './http-input.js';
import { ShardloomError } from '../core/errors.js';

export interface InputUnit {
  source: string;
  /** Absolute path, or an `s3://bucket/key` or `http(s)://` URL (read whole, through a local spool file). */
  path: string;
  /** Path as shown in ids and rejects: relative to the config's directory; a URL as written (less any user:password@). */
  display: string;
  /** Bytes, for balancing ranks. */
  size: number;
  /** Only this part of the file (absent: the whole file). Ids and locations stay those of the whole file. */
  part?: UnitPart;
}

/** Row groups [start, end) of a Parquet file, holding rows [firstRow, endRow); or bytes [start, end) of a tar. */
export type UnitPart =
  | { kind: 'row-groups'; start: number; end: number; firstRow: number; endRow: number }
  | { kind: 'bytes'; start: number; end: number };

/** The smallest part a file can be read as (one row group, one sample), with its bytes for balancing. */
export interface Piece { part: UnitPart; bytes: number }

/** A file's pieces in file order, or null when it cannot (or need not) be split: it is then read whole. */
export type PiecesOf = (unit: InputUnit) => Promise<Piece[] | null> | null | undefined;

/**
 * The key files are ordered by: a local file's absolute path, a URL as displayed (less any user:password@).
 * Not the display path of a local file: that is relative to the config's directory, and its `../` segments
 * sort differently from the directories they stand for, so a config elsewhere (or absolute paths) would read
 * the same files in another order. Two absolute paths compare at the first character after their common
 * directory, so the order also stays when the whole tree moves.
 */
export function orderKey(u: InputUnit): string {
  return isAbsolute(u.path) ? u.path : u.display;
}

/** File order: by `orderKey`, then by where the part starts. */
export function compareUnits(a: InputUnit, b: InputUnit): number {
  const [ka, kb] = [orderKey(a), orderKey(b)];
  if (ka !== kb) return ka < kb ? -1 : 1;
  return (a.part?.start ?? 0) - (b.part?.start ?? 0);
}

/**
 * Split the files that hold more than 1/(2·worldSize) of the source's bytes into contiguous parts of about
 * that size (at least one piece each), in place of the file, in file order. Every rank computes the same
 * parts from the same files. With one rank nothing is split, so a single-rank run reads exactly as before.
 */
export async function splitUnits(units: InputUnit[], worldSize: number, piecesOf: PiecesOf): Promise<InputUnit[]> {
  if (worldSize <= 1) return units;
  const target = units.reduce((a, u) => a + u.size, 0) / (2 * worldSize);
  const out: InputUnit[] = [];
  for (const u of units) {
    const pieces = u.size > target ? await piecesOf(u) : null;
    if (!pieces || pieces.length < 2) { out.push(u); continue; }
    const groups = cut(pieces, Math.min(pieces.length, Math.ceil(u.size / target)));
    for (const g of groups) out.push({ ...u, size: g.reduce((a, p) => a + p.bytes, 0), part: g.map((p) => p.part).reduce(joinParts) });
  }
  return out;
}

/** `pieces` cut into `k` contiguous non-empty groups whose bytes are as even as a greedy walk gets them. */
function cut(pieces: Piece[], k: number): Piece[][] {
  const total = pieces.reduce((a, p) => a + p.bytes, 0);
  const groups: Piece[][] = [];
  let i = 0;
  let acc = 0;
  for (let g = 1; g < k; g++) {
    const goal = (total * g) / k;
    const group = [pieces[i]];
    acc += pieces[i++].bytes;
    // Take the next piece while it brings the cut closer to the goal and leaves one for each later group.
    while (i < pieces.length - (k - g) && Math.abs(acc + pieces[i].bytes - goal) < Math.abs(acc - goal)) {
      acc += pieces[i].bytes;
      group.push(pieces[i++]);
    }
    groups.push(group);
  }
  groups.push(pieces.slice(i));
  return groups;
}

function joinParts(a: UnitPart, b: UnitPart): UnitPart {
  return a.kind === 'row-groups' && b.kind === 'row-groups' ? { ...a, end: b.end, endRow: b.endRow } : { ...a, end: b.end };
}

/** Expand `{00000..00099}` ranges (zero padding kept) and `{a,b}` lists. */
export function expandBraces(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  const [whole, body] = m;
  const head = pattern.slice(0, m.index);
  const tail = pattern.slice(m.index + whole.length);
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(body);
  let items: string[];
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    const width = range[1].length === range[2].length && /^0/.test(range[1]) ? range[1].length : 0;
    const step = a <= b ? 1 : -1;
    items = [];
    for (let i = a; step > 0 ? i <= b : i >= b; i += step) items.push(String(i).padStart(width, '0'));
  } else if (body.includes(',')) {
    items = body.split(',');
  } else {
    return [pattern];
  }
  return items.flatMap((it) => expandBraces(head + it + tail));
}

export interface ExpandResult {
  units: InputUnit[];
  /** Literal paths (no wildcard) that do not exist. */
  missing: string[];
  /** Glob patterns that matched nothing. */
  emptyGlobs: string[];
}

export async function expandPaths(source: string, patterns: string[], baseDir: string): Promise<ExpandResult> {
  const found = new Map<string, InputUnit>();
  const missing: string[] = [];
  const emptyGlobs: string[] = [];
  for (const pattern of patterns.flatMap(expandBraces)) {
    if (isS3Url(pattern)) {
      const objects = await listS3(pattern);
      if (!objects) missing.push(pattern);
      else if (objects.length === 0) emptyGlobs.push(pattern);
      for (const o of objects ?? []) found.set(o.url, { source, path: o.url, display: o.url, size: o.size });
      continue;
    }
    if (isHttpUrl(pattern)) {
      // Not asked for before it is read (no HEAD): a URL that fails is a reject then; its size is unknown.
      const why = httpGlobProblem(pattern);
      if (why) throw new ShardloomError('CONFIG_INVALID', `source "${source}": ${why}`);
      found.set(pattern, { source, path: pattern, display: displayUrl(pattern), size: 0 });
      continue;
    }
    const abs = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
    if (!fg.isDynamicPattern(pattern)) {
      const st = statOrNull(abs);
      if (st?.isFile()) found.set(abs, unit(source, abs, baseDir, st.size));
      else missing.push(pattern);
      continue;
    }
    // The config's directory is escaped so that only the pattern's own wildcards count.
    const rel = relative(baseDir, abs);
    const globPattern = isAbsolute(pattern) || rel.startsWith('..') ? abs : fg.convertPathToPattern(baseDir) + '/' + rel;
    const globMatches = await fg(globPattern, { absolute: true, onlyFiles: true, dot: false });
    if (globMatches.length === 0) emptyGlobs.push(pattern);
    for (const p of globMatches) found.set(resolve(p), unit(source, resolve(p), baseDir, statSync(p).size));
  }
  const units = [...found.values()].sort(compareUnits);
  return { units, missing, emptyGlobs };
}

function unit(source: string, path: string, baseDir: string, size: number): InputUnit {
  return { source, path, display: relative(baseDir, path).split('\\').join('/'), size };
}

function statOrNull(p: string) {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}
