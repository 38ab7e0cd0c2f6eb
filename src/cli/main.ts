#!/usr/bin/env node
/**
 * The shardloom command line. Exit status: 0 ok, 1 validation failed, 2 usage or config error
 * (3: the run itself failed — e.g. too many consecutive rejects, or a write error).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ShardloomError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
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
  const parser = yargs(argv)
    .scriptName('shardloom')
    .usage('$0 <command> [options]\n\nBuild native-multimodal pretraining shards from text, interleaved documents, image-caption pairs and video.')
    .command(runCommand(setCode))
    .command(validateCommand(setCode))
    .command(statsCommand(setCode))
    .command(inspectCommand(setCode))
    .command(planCommand(setCode))
    .command(mergeCommand(setCode))
    .demandCommand(1, 'Name a command: run, validate, stats, inspect, plan or merge (see --help).')
    .strict()
    .recommendCommands()
    .epilogue('Exit status: 0 ok, 1 validation failed, 2 usage or config error, 3 the run failed.\nDocs: README.md and docs/ in the package.')
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new ShardloomError('USAGE', msg);
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e);
  }
  return code;
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

export function reportError(e: unknown): number {
  if (e instanceof ShardloomError) {
    process.stderr.write(`shardloom: ${e.message}\n`);
    if (e.code === 'USAGE') process.stderr.write('Run "shardloom --help" for usage.\n');
    return ['CONFIG_INVALID', 'CONFIG_NOT_FOUND', 'USAGE', 'INPUT_NOT_FOUND', 'OUTPUT_CONFLICT', 'TOKENIZER', 'COMPUTE_BACKEND'].includes(e.code) ? EXIT.usage : EXIT.failed;
  }
  process.stderr.write(`shardloom: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT.failed;
}

main(hideBin(process.argv)).then((c) => {
  process.exitCode = c;
});
