import { messageLine } from '../core/log.js';
import type { CommandModule } from 'yargs';
import type { IndexJson } from '../shards/index-file.js';

interface Args { dir: string; from?: string[]; 'allow-partial': boolean; json: boolean }

export function mergeCommand(setCode: (c: number) => void): CommandModule<object, Args> {
  return {
    command: 'merge <dir>',
    describe: 'Join the outputs of the ranks of a multi-rank run into one index.json, stats.json and rejects.jsonl',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'The --out directory of the ranks (holding rank-00000/, rank-00001/, …); the merged files are written here' })
        .option('from', { type: 'string', array: true, describe: 'Rank output directories elsewhere (each holds one rank\'s index.json); DIR then only receives the merged files' })
        .option('allow-partial', { type: 'boolean', default: false, describe: 'Merge what is there even when ranks are missing or were interrupted (the index says complete: false)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the merged totals and stats as JSON' })
        .example('$0 merge /data/shards', 'After all ranks of `run --world-size N --out /data/shards` finished')
        .example('$0 merge /data/merged --from /scratch/a/rank-00000 /scratch/b/rank-00001', 'Ranks written to different places'),
    handler: async (a) => {
      // Imported here, not at the top: `shardloom --help` and `--version` must not load the pipeline.
      const [{ mergeRuns }, { formatStatsTable }] = await Promise.all([import('../scale/merge.js'), import('../shards/report.js')]);
      // With --from, DIR may be new: made here, one level at a time (a recursive mkdir under /proc never returns).
      if (a.from?.length) await (await import('../shards/output-dir.js')).makeDirectory(a.dir, 'merge directory');
      const res = await mergeRuns(a.dir, { from: a.from, allowPartial: a['allow-partial'] });
      const { index, stats } = res;
      if (res.missing.length > 0) process.stderr.write(messageLine('warn', `shardloom: warning: ranks ${res.missing.join(', ')} of ${index.worldSize} are missing; the merged index says complete: false`) + '\n');
      const interrupted = index.ranks.filter((r) => !r.complete).map((r) => r.rank);
      if (interrupted.length > 0) process.stderr.write(messageLine('warn', `shardloom: warning: ranks ${interrupted.join(', ')} were interrupted; only their finished shards are merged`) + '\n');
      if (a.json) {
        process.stdout.write(JSON.stringify({ outDir: res.outDir, complete: index.complete, ranks: index.ranks, missing: res.missing, totals: index.totals, stats }, null, 2) + '\n');
      } else {
        process.stdout.write(`Merged ${index.ranks.length} of ${index.worldSize} ranks (config ${index.configHash}) into ${res.outDir}\n\n`);
        process.stdout.write(formatStatsTable(index as unknown as IndexJson, stats) + '\n');
      }
      setCode(0);
    },
  };
}
