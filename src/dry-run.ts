/**
 * `shardloom run --dry-run`: what a run would do, without doing it. The config is loaded and checked as the run
 * checks it; each source's paths are expanded (local globs, s3:// listings) and split among the ranks as the
 * run splits them; the CPU budget and pool sizes, the effective config (defaults filled) and the output plan
 * (directory, formats, shard caps, and what is there now) are computed. Nothing is written, no worker or
 * tokenizer is started, no input is read beyond the first records of a JSONL source (to check its field).
 * Problems a run would stop on (an output conflict, a field no record has) are listed; they make the exit 2.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { ResolvedConfig, Source } from './config/types.js';
import { outputDirOf, publicConfig } from './config/types.js';
import { loadConfig } from './config/load.js';
import { ShardloomError } from './core/errors.js';
import { resolveRank } from './scale/rank.js';
import { readers } from './sources/open.js';
import { expandPaths, splitUnits, type InputUnit } from './sources/units.js';
import { assignUnits } from './sources/assign.js';
import { isRemoteInput } from './sources/remote.js';
import type { SourceReader } from './sources/reader.js';
import { describeMissingField, probeFields } from './sources/field-check.js';
import { isS3Output, rankLocation } from './shards/output.js';
import { checkRunSetup, limitedConfig, poolSizes } from './run.js';

export interface DryRunOptions { out?: string; overwrite?: boolean; resume?: boolean; rank?: number; worldSize?: number; cpus?: number; limit?: number; env?: NodeJS.ProcessEnv }

export interface SourcePlan {
  name: string; kind: Source['kind']; weight: number; paths: string[];
  /** Every file (or object) the paths match, in the order ranks split them. */
  matched: { path: string; bytes: number }[];
  missing: string[]; emptyGlobs: string[];
  /** The units (files, or parts of big files with several ranks) of this rank, and their bytes. */
  mine: { path: string; part?: string; bytes: number }[];
  /** Units per rank, for all ranks (index = rank). */
  unitsPerRank: number[];
  /** The first record's fields (JSONL text and caption sources); null when not looked at. */
  firstRecord: { file: string; location: string; fields: string[] } | null;
}

export interface DryRunPlan {
  config: { path: string; name: string; hash: string; seed: number };
  rank: { rank: number; worldSize: number; from: string };
  cpus: { cpus: number; why: string; pools: string; tokenizerWorkers: number; tilingConcurrency: number };
  limit: number | null;
  sources: SourcePlan[];
  output: {
    dir: string; formats: string[]; shardMaxRows: unknown; shardMaxBytes: unknown; compression: unknown;
    /** What is at the output now: absent (created by the run), empty, a run of this / another config, a file. */
    state: string;
  };
  /** What the run would stop on; the dry run exits 2 when there is any. */
  problems: string[];
  /** What would not stop the run but is likely wrong (a source whose records all lack its field). */
  warnings: string[];
  effectiveConfig: unknown;
}

export async function dryRun(config: string | ResolvedConfig, opts: DryRunOptions = {}): Promise<DryRunPlan> {
  const cfg = limitedConfig(typeof config === 'string' ? loadConfig(config) : config, opts.limit);
  const rank = resolveRank({ rank: opts.rank, worldSize: opts.worldSize }, opts.env ?? process.env);
  const { cpus: budget, named } = checkRunSetup(cfg, opts);
  if (opts.resume && opts.overwrite) throw new ShardloomError('USAGE', '--resume and --overwrite exclude each other');
  const problems: string[] = [];
  const warnings: string[] = [];
  const sources: SourcePlan[] = [];
  for (const [i, src] of cfg.sources.entries()) sources.push(await planSource(cfg, i, src, rank, problems, warnings));
  const workers = cfg.tokenizer.workers || budget.cpus;
  const inFlight = cfg.compute.concurrency || 2 * budget.cpus;
  const dir = isS3Output(named) ? rankLocation(named, rank.rank, rank.worldSize) : rankLocation(resolve(opts.out ?? outputDirOf(cfg)), rank.rank, rank.worldSize);
  const state = isS3Output(dir) ? 'an s3:// output (not looked at in a dry run)' : await outputState(dir, cfg.configHash, opts, problems);
  return {
    config: { path: cfg.configPath, name: cfg.name, hash: cfg.configHash, seed: cfg.seed },
    rank,
    cpus: { cpus: budget.cpus, why: budget.why, pools: poolSizes(cfg, sources, workers, inFlight, budget.cpus), tokenizerWorkers: workers, tilingConcurrency: inFlight },
    limit: opts.limit ?? null,
    sources,
    output: { dir, formats: cfg.output.formats, shardMaxRows: cfg.output.shardMaxRows, shardMaxBytes: cfg.output.shardMaxBytes, compression: cfg.output.compression, state },
    problems,
    warnings,
    effectiveConfig: publicConfig(cfg),
  };
}

async function planSource(cfg: ResolvedConfig, i: number, src: Source, rank: { rank: number; worldSize: number }, problems: string[], warnings: string[]): Promise<SourcePlan> {
  const reader = (readers as Partial<Record<string, SourceReader<never>>>)[src.kind] as SourceReader<Source> | undefined;
  const { units, missing, emptyGlobs } = await expandPaths(src.name, src.paths, cfg.baseDir);
  if (units.length === 0) {
    throw new ShardloomError('INPUT_NOT_FOUND', `sources[${i}] ("${src.name}"): no input files — ${[...missing, ...emptyGlobs].map((p) => `"${p}"`).join(', ')} matched nothing (paths are relative to ${cfg.baseDir})`);
  }
  // As openSources splits and assigns them: the same parts and the same ranks.
  const parts = await splitUnits(units, rank.worldSize, (u) => (isRemoteInput(u.path) ? null : reader?.pieces?.(u, src)));
  const unitsPerRank = Array.from({ length: rank.worldSize }, (_, r) => assignUnits(parts, r, rank.worldSize).length);
  const mine = assignUnits(parts, rank.rank, rank.worldSize);
  const breaker = cfg.run.maxConsecutiveRejects;
  const probe = await probeFields(cfg, i, mine.length ? mine : units, breaker || 100);
  // As the run decides (sources/field-check.ts): a stop when the breaker would stop it, else a warning.
  if (probe && probe.missing.length > 0) (breaker && probe.records >= breaker ? problems : warnings).push(describeMissingField(cfg, probe));
  return {
    name: src.name, kind: src.kind, weight: src.weight, paths: src.paths,
    matched: units.map((u) => ({ path: u.display, bytes: u.size })),
    missing, emptyGlobs,
    mine: mine.map((u) => ({ path: u.display, ...(u.part ? { part: partOf(u) } : {}), bytes: u.size })),
    unitsPerRank,
    firstRecord: probe ? { file: probe.file, location: probe.location, fields: probe.fields } : null,
  };
}

function partOf(u: InputUnit): string {
  const p = u.part!;
  return p.kind === 'row-groups' ? `row groups ${p.start}–${p.end - 1} (rows ${p.firstRow}–${p.endRow - 1})` : `bytes ${p.start}–${p.end - 1}`;
}

/** What prepareOutput would find, without touching anything; a conflict the run would refuse is a problem. */
async function outputState(dir: string, hash: string, opts: DryRunOptions, problems: string[]): Promise<string> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) {
      problems.push(`output directory ${dir} is not a directory; choose another --out (or output.dir)`);
      return 'a file';
    }
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist (the run creates it)';
    if (code === 'ENOTDIR') { problems.push(`output directory ${dir} is under a file; choose another --out (or output.dir)`); return 'under a file'; }
    return `cannot be read (${code ?? (e as Error).message})`;
  }
  const ours = names.filter((n) => /^(part-\d+\.(parquet|arrow)|index\.json|stats\.json|run\.json|progress\.jsonl)$/.test(n));
  if (ours.length === 0) return names.length ? `exists, holds ${names.length} other file(s) (left alone)` : 'exists, empty';
  let previous: string | undefined;
  for (const f of ['run.json', 'index.json']) {
    previous ??= await readFile(join(dir, f), 'utf8').then((t) => (JSON.parse(t) as { configHash?: string }).configHash, () => undefined);
  }
  const shards = ours.filter((n) => n.endsWith('.parquet')).length;
  const what = `holds a run (${shards} shard(s)) of ${previous === hash ? 'this config' : previous ? `another config, ${previous}` : 'an unknown config'}`;
  if (opts.overwrite) return `${what}: --overwrite replaces it`;
  if (opts.resume) {
    if (previous && previous !== hash) problems.push(`cannot resume: ${dir} holds a run of config ${previous}, this config is ${hash}`);
    return `${what}: --resume continues it`;
  }
  problems.push(`output directory ${dir} ${what}; pass --resume to continue it, --overwrite to replace it, or choose another --out`);
  return what;
}

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];
function bytes(n: number): string {
  let i = 0;
  while (n >= 1000 && i < SIZE_UNITS.length - 1) { n /= 1000; i++; }
  return `${i ? n.toFixed(1) : n}${SIZE_UNITS[i]}`;
}

/** The plan for people: one block per part, the effective config last. */
export function formatDryRun(p: DryRunPlan, maxFiles = 5): string {
  const lines = [
    `dry run: nothing is written, no worker is started`,
    `config   ${p.config.path} "${p.config.name}" (config ${p.config.hash}, seed ${p.config.seed})`,
    `rank     ${p.rank.rank} of ${p.rank.worldSize} (${p.rank.from})`,
    `cpus     ${p.cpus.why} → ${p.cpus.pools}`,
    ...(p.limit ? [`limit    the first ${p.limit} document(s) of each source (a smoke run: config ${p.config.hash})`] : []),
    '',
    'sources',
  ];
  for (const s of p.sources) {
    const total = s.matched.reduce((a, u) => a + u.bytes, 0);
    const mineBytes = s.mine.reduce((a, u) => a + u.bytes, 0);
    lines.push(`  ${s.name} (${s.kind}, weight ${s.weight}): ${s.matched.length} file(s), ${bytes(total)}`);
    for (const u of s.matched.slice(0, maxFiles)) lines.push(`    ${u.path}  ${bytes(u.bytes)}`);
    if (s.matched.length > maxFiles) lines.push(`    … and ${s.matched.length - maxFiles} more`);
    for (const m of s.missing) lines.push(`    missing: ${m} (a file.missing reject)`);
    for (const g of s.emptyGlobs) lines.push(`    matched nothing: ${g}`);
    if (p.rank.worldSize > 1) {
      const min = Math.min(...s.unitsPerRank);
      const max = Math.max(...s.unitsPerRank);
      lines.push(`    this rank reads ${s.mine.length} unit(s), ${bytes(mineBytes)}; units per rank ${min === max ? min : `${min}–${max}`}${min === 0 ? ' (some ranks get none of this source)' : ''}`);
      for (const u of s.mine.slice(0, maxFiles)) lines.push(`      ${u.path}${u.part ? ` ${u.part}` : ''}  ${bytes(u.bytes)}`);
      if (s.mine.length > maxFiles) lines.push(`      … and ${s.mine.length - maxFiles} more`);
    }
    if (s.firstRecord) lines.push(`    first record (${s.firstRecord.file} ${s.firstRecord.location}) has: ${s.firstRecord.fields.join(', ')}`);
  }
  const o = p.output;
  lines.push('', 'output', `  ${o.dir}: ${o.state}`, `  formats ${o.formats.join(', ')}; shards of at most ${o.shardMaxRows} rows / ${o.shardMaxBytes} bytes; compression ${o.compression}`);
  lines.push('', 'effective config (defaults filled)', ...stringify(p.effectiveConfig).trimEnd().split('\n').map((l) => '  ' + l));
  lines.push('');
  if (p.warnings.length) lines.push(`${p.warnings.length} warning(s):`, ...p.warnings.map((x) => `  ${x}`));
  if (p.problems.length) lines.push(`${p.problems.length} problem(s) the run would stop on:`, ...p.problems.map((x) => `  ${x}`));
  else lines.push('OK: the run can start (shardloom run without --dry-run)');
  return lines.join('\n') + '\n';
}
