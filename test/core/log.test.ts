import { afterEach, describe, expect, test } from 'vitest';
import { cli } from '../helpers/cli.js';
import { createLogger, formatLine, logFormat, messageLine, parseLogFormat, setLogFormat } from '../../src/core/log.js';

const at = new Date('2026-03-04T05:06:07.089Z');
const now = () => at;

afterEach(() => setLogFormat(undefined));

describe('log lines', () => {
  test('text on a terminal: the short look, levels below the threshold left out', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l), { format: 'text', timestamp: false });
    log.debug('not shown');
    log.info('run "x" → out');
    log.warn('careful', { n: 1 });
    expect(lines).toEqual(['[shardloom] info  run "x" → out', '[shardloom] warn  careful']);
  });

  test('text off a terminal: an ISO-8601 UTC timestamp first', () => {
    const lines: string[] = [];
    createLogger('info', (l) => lines.push(l), { format: 'text', timestamp: true, now }).error('disk full');
    expect(lines).toEqual(['2026-03-04T05:06:07.089Z [shardloom] error disk full']);
  });

  test('json: one object per line, ts/level/msg and the fields; a field never hides ts, level or msg', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (l) => lines.push(l), { format: 'json', now });
    log.info('two\nlines "quoted"', { tokens: 12, msg: 'not this' });
    log.debug('d');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    expect(JSON.parse(lines[0])).toEqual({ ts: '2026-03-04T05:06:07.089Z', level: 'info', msg: 'two\nlines "quoted"', tokens: 12 });
    expect(JSON.parse(lines[1])).toEqual({ ts: '2026-03-04T05:06:07.089Z', level: 'debug', msg: 'd' });
  });

  test('the process format: setLogFormat, else SHARDLOOM_LOG_FORMAT, else text; loggers follow it', () => {
    expect(logFormat({})).toBe('text');
    expect(logFormat({ SHARDLOOM_LOG_FORMAT: 'JSON' })).toBe('json');
    expect(logFormat({ SHARDLOOM_LOG_FORMAT: 'xml' })).toBe('text');
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l), { timestamp: false, now });
    setLogFormat('json');
    expect(logFormat({ SHARDLOOM_LOG_FORMAT: 'text' })).toBe('json');
    log.info('a');
    setLogFormat('text');
    log.info('b');
    expect(lines).toEqual(['{"ts":"2026-03-04T05:06:07.089Z","level":"info","msg":"a"}', '[shardloom] info  b']);
  });

  test('parseLogFormat names where a bad value came from', () => {
    expect(parseLogFormat(' Json ', 'x')).toBe('json');
    expect(() => parseLogFormat('yaml', 'SHARDLOOM_LOG_FORMAT')).toThrow('Expected SHARDLOOM_LOG_FORMAT to be one of text, json but received "yaml"');
  });

  test('message lines: as they are in text, an object in json', () => {
    expect(messageLine('info', 'mix: every source within ±5.00 points', undefined, 'text')).toBe('mix: every source within ±5.00 points');
    expect(JSON.parse(messageLine('warn', 'shardloom: warning: x', { ranks: [1] }, 'json'))).toMatchObject({ level: 'warn', msg: 'shardloom: warning: x', ranks: [1] });
    expect(formatLine('progress', 'records 1', undefined, { format: 'text', timestamp: false })).toBe('[shardloom] progress records 1');
  });
});

describe('the CLI', () => {
  test('--log-format json: the error a command exits with is one object, with its code and exit status', () => {
    const r = cli(['run', 'no-such-config.yaml', '--log-format=json'], { timeoutMs: 30_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', code: 'CONFIG_NOT_FOUND', exit: 2, msg: 'config file not found: no-such-config.yaml' });
  });

  test('a bad SHARDLOOM_LOG_FORMAT is a usage error naming the variable', () => {
    const r = cli(['run', 'no-such-config.yaml'], { env: { SHARDLOOM_LOG_FORMAT: 'yaml' }, timeoutMs: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('shardloom: Expected SHARDLOOM_LOG_FORMAT to be one of text, json but received "yaml"\nRun "shardloom --help" for usage.\n');
  });
});
