import type { CommandModule } from 'yargs';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ShardloomError } from '../core/errors.js';
import type { IndexJson, StatsJson } from '../shards/index-file.js';

interface Args { dir: string; json: boolean; html?: string }

export function statsCommand(setCode: (c: number) => void): CommandModule<object, Args> {
  return {
    command: 'stats <dir>',
    describe: 'Show the statistics of an output directory: totals, share per source vs target, rejects',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'Output directory of a run (holds index.json and stats.json)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print index totals and stats as JSON' })
        .option('html', { type: 'string', describe: 'Also write a self-contained HTML report with plots and a contact sheet of tiles to this file' })
        .example('$0 stats out/sample', 'Table of the sample run')
        .example('$0 stats out/sample --html report.html', 'A page to look at (or to upload from CI)'),
    handler: async (a) => {
      // Imported here, not at the top: `shardloom --help` and `--version` must not load the pipeline.
      const { formatStatsTable } = await import('../shards/report.js');
      const { index, stats } = await loadRun(a.dir);
      if (a.html) {
        const { writeHtmlReport } = await import('../shards/html-report.js');
        try {
          await writeHtmlReport(a.dir, a.html, index, stats);
        } catch (e) {
          throw new ShardloomError('OUTPUT_WRITE', `cannot write the report ${a.html}: ${(e as Error).message}`, { cause: e });
        }
        process.stderr.write(`report written to ${a.html}\n`);
      }
      const limit = (index as { limit?: number }).limit;
      if (a.json) process.stdout.write(JSON.stringify({ totals: index.totals, targets: index.targets, stats, ...(limit ? { limit } : {}) }, null, 2) + '\n');
      else process.stdout.write((limit ? `a limited run (--limit ${limit}): the first ${limit} documents of each source, not the full run\n\n` : '') + formatStatsTable(index, stats) + '\n');
      setCode(0);
    },
  };
}

export async function loadRun(dir: string): Promise<{ index: IndexJson; stats: StatsJson }> {
  const { readJson } = await import('../shards/index-file.js');
  const ip = join(dir, 'index.json');
  if (!existsSync(ip)) throw new ShardloomError('USAGE', `${dir} holds no index.json — is it the output directory of a finished run?`);
  const index = await readJson<IndexJson>(ip);
  const sp = join(dir, 'stats.json');
  if (!existsSync(sp)) throw new ShardloomError('USAGE', `${dir} holds index.json but no stats.json`);
  return { index, stats: await readJson<StatsJson>(sp) };
}
