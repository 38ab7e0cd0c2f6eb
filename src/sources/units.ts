/**
 * Input units: the files of a source, expanded from paths, globs and brace ranges, sorted so that
 * every machine sees the same list in the same order. Units are what ranks split among themselves.
 */
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import fg from 'fast-glob';

export interface InputUnit {
  source: string;
  /** Absolute path. */
  path: string;
  /** Path as shown in ids and rejects: relative to the config's directory. */
  display: string;
  /** Bytes, for balancing ranks. */
  size: number;
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
  const units = [...found.values()].sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
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
