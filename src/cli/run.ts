import type { CommandModule } from 'yargs';
import { runPipeline } from '../run.js';
import { createLogger } from '../log.js';
import { formatStatsTable } from '../shards/report.js';

interface Args { config: string; out?: string; overwrite: boolean; rank?: number; 'world-size'?: number; json: boolean; quiet: boolean }

export function runCommand(setCode: (c: number) => void): CommandModule<object, Args> {
  return {
    command: 'run <config>',
    describe: 'Run a pipeline: read the sources, tile, tokenize, mix, pack and write shards',
    builder: (y) =>
      y
        .positional('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML file (see pipelines/ and schemas/pipeline.schema.json)' })
        .option('out', { type: 'string', describe: 'Output directory (default: output.dir of the config, relative to the config file)' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'Replace a previous run in the output directory' })
        .option('rank', { type: 'number', describe: 'This process\'s part of a larger job (0-based)' })
        .option('world-size', { type: 'number', describe: 'Number of parts of the job' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the result (index totals and stats) as JSON on stdout' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress lines' })
        .example('$0 run pipelines/sample.yaml', 'Build the sample mix into out/sample')
        .example('$0 run mix.yaml --out /data/shards --overwrite', 'Rebuild into another directory'),
    handler: async (a) => {
      const log = createLogger(a.quiet ? 'warn' : 'info');
      const res = await runPipeline(a.config, { out: a.out, overwrite: a.overwrite, rank: a.rank, worldSize: a['world-size'], log, progress: !a.quiet });
      if (a.json) process.stdout.write(JSON.stringify({ outDir: res.outDir, totals: res.index.totals, stats: res.stats }, null, 2) + '\n');
      else process.stdout.write(`Shards written to ${res.outDir}\n\n` + formatStatsTable(res.index, res.stats) + '\n');
      setCode(0);
    },
  };
}
