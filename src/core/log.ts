/**
 * A tiny leveled logger on stderr (stdout is kept for results), in one of two formats:
 * - `text` (the default): `[shardloom] info  message`; off a terminal (Slurm, Kubernetes, a file) each line
 *   starts with an ISO-8601 UTC timestamp, on a terminal it keeps the short look.
 * - `json`: one object per line, `{"ts","level","msg", ...fields}`, for log collectors.
 * The format is one setting per process: `--log-format` (cli/main.ts) or SHARDLOOM_LOG_FORMAT, read through
 * `logFormat()` by every logger, the progress line and the CLI's error printer alike.
 */
import { ShardloomError } from './errors.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_FORMAT_ENV = 'SHARDLOOM_LOG_FORMAT';

/** Structured fields of a JSON line (ignored by the text format, which has them in its message). */
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

let chosen: LogFormat | undefined;

/** `text` or `json`, checked; anything else is a usage error naming where it came from. */
export function parseLogFormat(value: string, from: string): LogFormat {
  const v = value.trim().toLowerCase();
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat;
  throw new ShardloomError('USAGE', `Expected ${from} to be one of ${LOG_FORMATS.join(', ')} but received "${value}"`);
}

/** Set the process's log format (undefined: back to SHARDLOOM_LOG_FORMAT, else text). */
export function setLogFormat(format: LogFormat | undefined): void {
  chosen = format;
}

/** The process's log format: what `setLogFormat` set, else SHARDLOOM_LOG_FORMAT (an unknown value counts as text), else text. */
export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  if (chosen) return chosen;
  const v = env[LOG_FORMAT_ENV]?.trim().toLowerCase();
  return v === 'json' ? 'json' : 'text';
}

export interface LineOptions {
  format: LogFormat;
  /** Text only: start the line with the time (off a terminal). JSON lines always carry `ts`. */
  timestamp: boolean;
  now?: Date;
}

/** One log line, without its newline. */
export function formatLine(level: Level | 'progress', msg: string, fields: Fields | undefined, o: LineOptions): string {
  const now = o.now ?? new Date();
  if (o.format === 'json') {
    // ts, level, msg first, and never overwritten by a field of the same name.
    const line: Fields = { ts: now.toISOString(), level: level === 'progress' ? 'info' : level, msg };
    for (const [k, v] of Object.entries(fields ?? {})) if (!(k in line)) line[k] = v;
    return JSON.stringify(line);
  }
  return `${o.timestamp ? now.toISOString() + ' ' : ''}[shardloom] ${level.padEnd(5)} ${msg}`;
}

export interface LoggerOptions {
  format?: LogFormat;
  /** Text lines start with a timestamp (default: when writing to stderr and stderr is not a terminal). */
  timestamp?: boolean;
  now?: () => Date;
}

/**
 * A logger writing lines at `level` and above. With the default sink (stderr) text lines get a timestamp off
 * a terminal; a caller's `write` gets the bare line unless `timestamp` says otherwise.
 */
export function createLogger(level: Level = 'info', write?: (line: string) => void, opts: LoggerOptions = {}): Logger {
  const timestamp = opts.timestamp ?? (write === undefined && !process.stderr.isTTY);
  const at = (lv: Level) => (msg: string, fields?: Fields) => {
    if (ORDER[lv] < ORDER[level]) return;
    const format = opts.format ?? logFormat();
    const line = formatLine(lv, msg, fields, { format, timestamp, now: opts.now?.() });
    if (write) write(line);
    // On a terminal a text line first clears the current one: a progress line may be drawn there.
    else process.stderr.write((process.stderr.isTTY && format === 'text' ? '\r\x1b[2K' : '') + line + '\n');
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A message line the CLI prints as it is in text (`shardloom: …`, a mix verdict) and as a JSON object in
 * json, so that `--log-format json` keeps every stderr line parseable.
 */
export function messageLine(level: Level, text: string, fields?: Fields, format: LogFormat = logFormat()): string {
  return format === 'json' ? formatLine(level, text, fields, { format, timestamp: true }) : text;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
