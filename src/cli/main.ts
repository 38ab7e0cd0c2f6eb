#!/usr/bin/env node
/**
 * The shardloom command line. Exit status: 0 ok, 1 validation failed, 2 usage or config error
 * (3: the run itself failed — e.g. too many consecutive rejects, or a write error). A closed stdout (`| head`) is 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ShardloomError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
import { formatLine, LOG_FORMAT_ENV, LOG_FORMATS, logFormat, parseLogFormat, setLogFormat, type LogFormat } from '../core/log.js';
// The command modules are light (usage, options, a handler): each handler imports the pipeline modules it
// needs with `await import(...)`, so `--version`, `--help` and a usage error load yargs and these files only
// (test/startup.test.ts checks which modules load). Keep heavy imports out of this file and of them.
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';
import { statsCommand } from './stats.js';
import { inspectCommand } from './inspect.js';
import { mergeCommand } from './merge.js';
import { planCommand } from './plan.js';

export const EXIT = { ok: 0, validation: 1, usage: 2, failed: 3 } as const;

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const setCode = (c: number) => { code = c; };
  quietOnClosedPipe();
  // The log format is known before parsing, so that a usage error is printed in it too.
  try {
    setLogFormat(initialLogFormat(argv));
  } catch (e) {
    return reportError(e);
  }
  const parser = yargs(argv)
    // English whatever the system's locale: every message of shardloom is, and yargs' own words ("Options:")
    // would otherwise be half the help in another language. The bundled CLI (scripts/bundle-cli.mjs) has no
    // yargs locale files at all, so this also keeps the two the same.
    .locale('en')
    .scriptName('shardloom')
    .usage('$0 <command> [options]\n\nBuild native-multimodal pretraining shards from text, interleaved documents, image-caption pairs and video.')
    .command(runCommand(setCode))
    .command(validateCommand(setCode))
    .command(statsCommand(setCode))
    .command(inspectCommand(setCode))
    .command(planCommand(setCode))
    .command(mergeCommand(setCode))
    .option('log-format', { choices: LOG_FORMATS, global: true, describe: `Log and progress lines on stderr: text, or json (one object per line) [default: $${LOG_FORMAT_ENV}, else text]` })
    .middleware((a) => { if (a.logFormat) setLogFormat(a.logFormat as LogFormat); })
    .demandCommand(1, 'Name a command: run, validate, stats, inspect, plan or merge (see --help).')
    .strict()
    .recommendCommands()
    .epilogue('Exit status: 0 ok (also when the output pipe is closed early, as by `| head`), 1 validation failed, 2 usage or config error, 3 the run failed, 130 / 143 stopped by SIGINT / SIGTERM (finished shards kept; --resume continues).\nDocs: README.md and docs/ in the package.')
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new ShardloomError('USAGE', msg);
    });
  // yargs lays out a command's whole --help text each time it runs the command, to have it at hand for a
  // failure message; ours never shows it (`.fail` above makes one line), and the layout costs ≈ 40 ms of CPU
  // on every run. --help itself lays it out when asked.
  // (yargs' internals: where they are not as expected, nothing is changed.)
  const usage = (parser as unknown as { getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?(): void } } }).getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e, commandOf(argv));
  }
  return code;
}

const COMMANDS = ['run', 'validate', 'stats', 'inspect', 'plan', 'merge'];

/** The subcommand named on the command line (for the help a usage error points to), if any. */
function commandOf(argv: string[]): string | undefined {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).find((a) => COMMANDS.includes(a));
}

/**
 * `shardloom inspect … | head -1`: the reader went away, so there is nobody left to tell. Leave quietly with
 * 0 (as a closed pipe is no failure of ours) instead of an unhandled EPIPE trace; a closed stderr is ignored.
 */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok);
    process.stderr.write(`shardloom: cannot write to stdout: ${e.message}\n`);
    process.exit(EXIT.failed);
  });
  process.stderr.on('error', () => { /* nothing left to report to */ });
}

/**
 * The package's version, from its own package.json. yargs' guess looks for a package.json from where it is
 * installed and says "unknown" in some layouts (a fresh clone's npm ci).
 */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function reportError(e: unknown, command?: string): number {
  if (e instanceof ShardloomError) {
    const exit = ['CONFIG_INVALID', 'CONFIG_NOT_FOUND', 'USAGE', 'INPUT_NOT_FOUND', 'OUTPUT_CONFLICT', 'TOKENIZER', 'COMPUTE_BACKEND'].includes(e.code) ? EXIT.usage : EXIT.failed;
    const hint = e.code === 'USAGE' ? `Run "shardloom ${command ? command + ' ' : ''}--help" for usage.` : undefined;
    if (logFormat() === 'json') writeJsonError(e.message, { code: e.code, exit, ...(hint ? { hint } : {}) });
    else process.stderr.write(`shardloom: ${e.message}\n${hint ? hint + '\n' : ''}`);
    return exit;
  }
  if (logFormat() === 'json') writeJsonError(`unexpected error: ${(e as Error)?.message ?? String(e)}`, { exit: EXIT.failed, stack: (e as Error)?.stack });
  else process.stderr.write(`shardloom: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT.failed;
}

/** With --log-format json an error is one object too: {"ts","level":"error","msg","code","exit",…}. */
function writeJsonError(msg: string, fields: Record<string, unknown>): void {
  process.stderr.write(formatLine('error', msg, fields, { format: 'json', timestamp: true }) + '\n');
}

/** --log-format from the arguments (a bad value is left for yargs to report), else SHARDLOOM_LOG_FORMAT (checked), else text. */
function initialLogFormat(argv: string[], env: NodeJS.ProcessEnv = process.env): LogFormat {
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') break;
    const v = arg.startsWith('--log-format=') ? arg.slice('--log-format='.length) : arg === '--log-format' ? argv[i + 1] : undefined;
    if (v !== undefined && (LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat;
  }
  const fromEnv = env[LOG_FORMAT_ENV];
  return fromEnv ? parseLogFormat(fromEnv, LOG_FORMAT_ENV) : 'text';
}

main(hideBin(process.argv)).then((c) => {
  process.exitCode = c;
});
