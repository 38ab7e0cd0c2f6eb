/**
 * Progress and liveness: at a fixed interval, one line with how far the run is (percent and ETA against
 * `mix.totalTokens` when it is set, else against the bytes of the input files the mixer is done with), tokens, records, rows,
 * shards, the smoothed rates, how many items wait between the stages, and the last record seen and how long
 * ago — so a job that stalls shows it.
 * - On a terminal the line is redrawn in place (`\r` + clear line), cut to the terminal's width (the last
 *   record's path first, then the least useful fields) so that it never wraps.
 * - Off a terminal (Slurm, Kubernetes, a file): one plain timestamped line per interval, whole, no control characters.
 * - With `--log-format json`: one JSON object per interval with the same figures as fields.
 */
import type { Provenance, Sample } from './model.js';
import { formatLine, logFormat, type Fields, type LogFormat } from './log.js';

/** A source's input units as opened (in reading order), for progress by input bytes. */
export interface ProgressInput { source: string; units: readonly { display: string; size: number }[] }

export interface ProgressOptions {
  /** Seconds between lines (a terminal is redrawn every second at most). */
  intervalS: number;
  out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** False: no timer, no output (`run --quiet`). */
  enabled?: boolean;
  /** `mix.totalTokens`: percent and ETA by tokens written. */
  totalTokens?: number | null;
  /** Without totalTokens: percent and ETA by input bytes, a unit counted once the mixer has taken its last sample. */
  inputs?: ProgressInput[];
  format?: LogFormat;
  /** Milliseconds (tests inject a clock). */
  now?: () => number;
}

/** The figures of one progress line. */
export interface ProgressSnapshot {
  elapsedS: number;
  records: number;
  recordsRate: number;
  rejects: number;
  samples: number;
  tokens: number;
  /** Tokens per second, smoothed (time constant SMOOTH_S). */
  tokensRate: number;
  rows: number;
  shards: number;
  /** What percent and ETA are measured by: tokens against totalTokens, or input bytes; null: neither is known. */
  basis: 'tokens' | 'input' | null;
  done: number;
  total: number;
  percent: number | null;
  etaS: number | null;
  /** Documents read but not yet at the mixer's queue (media, tokenizing, chunking); samples waiting for the mixer. */
  queue: { work: number; mixer: number };
  last: Provenance | undefined;
  idleS: number;
}

/** Time constant of the rate smoothing: a rate change shows in the ETA over about this many seconds. */
const SMOOTH_S = 30;

interface SourceState {
  units: readonly { display: string; size: number }[];
  /** Index of the unit being read; those before it are done. */
  at: number;
  read: number;
  /** Read ordinal of the last document whose samples reached the mixer's queue. */
  reached: number;
  /** Samples in the queue in front of the mixer. */
  queued: number;
}

export class Progress {
  records = 0;
  rejects = 0;
  samples = 0;
  tokens = 0;
  rows = 0;
  shards = 0;
  last: Provenance | undefined;
  private readonly intervalS: number;
  private readonly out: NonNullable<ProgressOptions['out']>;
  private readonly enabled: boolean;
  private readonly totalTokens: number | null;
  private readonly format: LogFormat | undefined;
  private readonly now: () => number;
  private readonly started: number;
  private lastAt: number;
  private readonly sources = new Map<string, SourceState>();
  private readonly ordinal = new WeakMap<Provenance, number>();
  private readonly inputBytes: number;
  private inputDone = 0;
  private rate: { at: number; tokens: number; records: number; tokensRate: number; recordsRate: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(opts: ProgressOptions) {
    this.intervalS = opts.intervalS;
    this.out = opts.out ?? process.stderr;
    this.enabled = opts.enabled ?? true;
    this.totalTokens = opts.totalTokens ?? null;
    this.format = opts.format;
    this.now = opts.now ?? Date.now;
    this.started = this.lastAt = this.now();
    for (const i of opts.inputs ?? []) this.sources.set(i.source, { units: i.units, at: 0, read: 0, reached: 0, queued: 0 });
    this.inputBytes = (opts.inputs ?? []).reduce((a, i) => a + i.units.reduce((b, u) => b + u.size, 0), 0);
  }

  start(): void {
    if (!this.enabled) return;
    const ms = this.redraws() ? Math.min(1000, this.intervalS * 1000) : this.intervalS * 1000;
    this.timer = setInterval(() => this.print(), ms);
    this.timer.unref();
  }

  /** A document was read. */
  record(p: Provenance): void {
    this.records++;
    this.last = p;
    this.lastAt = this.now();
    const s = this.sources.get(p.source);
    if (s) this.ordinal.set(p, ++s.read);
  }

  /** The mixer has taken every sample of a source: all its input is done. */
  sourceDone(source: string): void {
    const s = this.sources.get(source);
    if (s) this.passUnits(s, s.units.length);
  }

  /** A sample entered the queue in front of the mixer. */
  queued(sample: Sample): void {
    const s = this.sources.get(sample.provenance.source);
    if (!s) return;
    s.queued++;
    s.reached = Math.max(s.reached, this.ordinal.get(sample.provenance) ?? s.reached);
  }

  /**
   * The mixer took a sample from its queue. Units are read one after the other, in order: a sample of a later
   * unit means the mixer is done with the ones before it. (Counted here rather than at reading, which runs ahead.)
   */
  dequeued(sample: Sample): void {
    const s = this.sources.get(sample.provenance.source);
    if (!s) return;
    s.queued = Math.max(0, s.queued - 1);
    const file = sample.provenance.file;
    if (s.at < s.units.length && s.units[s.at].display !== file) {
      const j = s.units.findIndex((u, k) => k > s.at && u.display === file);
      if (j > 0) this.passUnits(s, j);
    }
  }

  private passUnits(s: SourceState, to: number): void {
    for (; s.at < to; s.at++) this.inputDone += s.units[s.at].size;
  }

  /** Advance the smoothed rates to now; called once per line. */
  tick(): void {
    const now = this.now();
    const r = this.rate;
    if (!r) {
      // The first estimate: the average since the start, once a second has passed (before, it is noise).
      const s = (now - this.started) / 1000;
      if (s < 1) return;
      this.rate = { at: now, tokens: this.tokens, records: this.records, tokensRate: this.tokens / s, recordsRate: this.records / s };
      return;
    }
    const dt = (now - r.at) / 1000;
    if (dt <= 0) return;
    const a = 1 - Math.exp(-dt / SMOOTH_S);
    r.tokensRate += a * ((this.tokens - r.tokens) / dt - r.tokensRate);
    r.recordsRate += a * ((this.records - r.records) / dt - r.recordsRate);
    Object.assign(r, { at: now, tokens: this.tokens, records: this.records });
  }

  snapshot(): ProgressSnapshot {
    const now = this.now();
    const elapsedS = (now - this.started) / 1000;
    const tokensRate = this.rate?.tokensRate ?? 0;
    let basis: ProgressSnapshot['basis'] = null;
    let done = 0;
    let total = 0;
    let etaS: number | null = null;
    if (this.totalTokens) {
      basis = 'tokens';
      [done, total] = [Math.min(this.tokens, this.totalTokens), this.totalTokens];
      if (done >= total) etaS = 0;
      else if (tokensRate > 0) etaS = (total - done) / tokensRate;
    } else if (this.inputBytes > 0) {
      basis = 'input';
      [done, total] = [this.inputDone, this.inputBytes];
      // Bytes advance a whole file at a time: the average since the start is steadier than a recent rate.
      if (done > 0 && elapsedS > 0) etaS = (total - done) / (done / elapsedS);
    }
    let work = 0;
    let mixer = 0;
    for (const s of this.sources.values()) {
      work += Math.max(0, s.read - s.reached);
      mixer += s.queued;
    }
    return {
      elapsedS, records: this.records, recordsRate: this.rate?.recordsRate ?? 0, rejects: this.rejects, samples: this.samples,
      tokens: this.tokens, tokensRate, rows: this.rows, shards: this.shards,
      basis, done, total, percent: basis ? (100 * done) / total : null, etaS: etaS === null ? null : Math.max(0, etaS),
      queue: { work, mixer }, last: this.last, idleS: (now - this.lastAt) / 1000,
    };
  }

  /** The text line, whole (width: Infinity) or cut to `width` characters. */
  line(width = Infinity): string {
    return fitLine(this.snapshot(), width);
  }

  /** The fields of a JSON progress line. */
  fields(): Fields {
    const s = this.snapshot();
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      tokens: s.tokens, totalTokens: this.totalTokens, percent: s.percent === null ? null : round(s.percent, 2),
      etaSeconds: s.etaS === null ? null : Math.round(s.etaS), rate: round(s.tokensRate), basis: s.basis,
      ...(s.basis === 'input' ? { inputBytes: s.total, inputBytesDone: s.done } : {}),
      records: s.records, recordsRate: round(s.recordsRate), rejects: s.rejects, samples: s.samples, rows: s.rows, shards: s.shards,
      queue: s.queue, elapsedSeconds: round(s.elapsedS), idleSeconds: round(s.idleS),
      last: s.last ? { source: s.last.source, file: s.last.file, location: s.last.location } : null,
    };
  }

  print(): void {
    this.tick();
    const format = this.format ?? logFormat();
    if (format === 'json') {
      this.out.write(formatLine('progress', 'progress', this.fields(), { format, timestamp: true, now: new Date(this.now()) }) + '\n');
    } else if (this.out.isTTY) {
      this.out.write('\r\x1b[2K' + this.line(Math.max(1, (this.out.columns || 80) - 1)));
      this.drawn = true;
    } else {
      this.out.write(formatLine('progress', this.line(), undefined, { format, timestamp: true, now: new Date(this.now()) }) + '\n');
    }
  }

  /** Stop the timer; a started progress prints its final figures once more (the last line of a log says where the run ended). */
  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.print();
    }
    this.timer = undefined;
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  private redraws(): boolean {
    return !!this.out.isTTY && (this.format ?? logFormat()) === 'text';
  }
}

/**
 * The text of a progress line in at most `width` characters. Fields in order of use; to fit, the last
 * record's path is shortened from the left, then the last record becomes just its age, then fields are
 * left out from the least useful one, and at last the line is cut.
 */
export function fitLine(s: ProgressSnapshot, width = Infinity): string {
  const fields: { text: string; keep: number }[] = [];
  const add = (text: string, keep: number) => fields.push({ text, keep });
  if (s.basis) add(`${s.percent!.toFixed(1)}% ETA ${s.etaS === null ? '--' : duration(s.etaS)}`, 9);
  add(`tokens ${fmt(s.tokens)}${s.basis === 'tokens' ? `/${fmt(s.total)}` : ''} (${fmt(s.tokensRate)}/s)`, 8);
  if (s.basis === 'input') add(`input ${fmt(s.done)}B/${fmt(s.total)}B`, 3);
  add(`records ${s.records} (${fmt(s.recordsRate)}/s)`, 6);
  add(`rejects ${s.rejects}`, 5);
  add(`samples ${s.samples}`, 1);
  add(`rows ${s.rows} shards ${s.shards}`, 7);
  add(`queue work ${s.queue.work} mixer ${s.queue.mixer}`, 2);
  add(`elapsed ${duration(s.elapsedS)}`, 4);
  const ago = `(${s.idleS.toFixed(0)}s ago)`;
  const head = (fs: typeof fields) => fs.map((f) => f.text).join(' ');
  const lastWith = (file: string) => (s.last ? `last: ${clean(s.last.source)} ${file} ${clean(s.last.location)} ${ago}` : `last: - ${ago}`);
  const full = `${head(fields)} | ${lastWith(s.last ? clean(s.last.file) : '')}`;
  if (full.length <= width) return full;
  // 1. The path of the last record, shortened from the left (its file name is the informative end).
  if (s.last) {
    const file = clean(s.last.file);
    const room = width - (full.length - file.length);
    if (room >= 12) return `${head(fields)} | ${lastWith('…' + file.slice(file.length - room + 1))}`;
  }
  // 2. The last record as its age only, then 3. fields left out, least useful first.
  const idle = `idle ${s.idleS.toFixed(0)}s`;
  const kept = [...fields];
  const order = [...fields].sort((a, b) => a.keep - b.keep);
  for (;;) {
    const line = `${head(kept)} | ${idle}`;
    if (line.length <= width) return line;
    if (kept.length === 1) return line.slice(0, Math.max(0, width));
    kept.splice(kept.indexOf(order.shift()!), 1);
  }
}

/** Control characters of a file name or location (a newline, an escape sequence) shown as `?`: a line stays one line. */
function clean(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** 45s, 3m12s, 1h02m, 2d03h. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

export function fmt(n: number): string {
  if (n >= 1e12) return (n / 1e12).toFixed(2) + 'T';
  if (n >= 1e9) return (n / 1e9).toFixed(2) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(0);
}
