import { messageLine } from '../core/log.js';
import type { CommandModule } from 'yargs';
import { cpuCount } from '../core/cpus.js';

interface Args { config: string; out?: string; overwrite: boolean; resume: boolean; rank?: number; 'world-size'?: number; cpus?: string; json: boolean; quiet: boolean; strict: boolean; 'dry-run': boolean; limit?: number }

export function runCommand(setCode: (c: number) => void): CommandModule<object, Args> {
  return {
    command: 'run <config>',
    describe: 'Run a pipeline: read the sources, tile, tokenize, mix, pack and write shards',
    builder: (y) =>
      y
        .positional('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML file (see pipelines/ and schemas/pipeline.schema.json)' })
        .option('out', { type: 'string', describe: 'Output directory (default: output.dir of the config, relative to the config file)' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'Replace a previous run in the output directory' })
        .option('resume', { type: 'boolean', default: false, describe: 'Continue an interrupted run: keep its verified shards, redo the rest (output identical to an uninterrupted run)' })
        .option('rank', { type: 'number', describe: 'This process\'s part of a larger job, 0-based (default: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, else 0)' })
        .option('world-size', { type: 'number', describe: 'Number of parts of the job (default: SLURM_ARRAY_TASK_COUNT or SHARDLOOM_WORLD_SIZE, else 1); each rank writes OUT/rank-RRRRR/' })
        .option('cpus', { type: 'string', describe: 'CPUs this rank may use: sizes its pools; overrides run.cpus (default: the sched affinity and cgroup CPU quota of the process, not the node\'s cores)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the result (index totals and stats) as JSON on stdout; with --dry-run, the plan' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress lines' })
        .option('strict', { type: 'boolean', default: false, describe: 'For CI: after the run, validate its output against this config (as `shardloom validate DIR --config CONFIG`) and exit 1 if it would fail' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Check the config and print the plan — the files each source matches and this rank\'s share of them, CPUs and pool sizes, the output directory and what is in it, the effective config — then stop: nothing is written, no worker starts. Exit 0, or 2 when the run would stop on a problem it lists' })
        .option('limit', { type: 'number', describe: 'A smoke run: only the first N documents of each source (of this rank). Valid shards, under the config hash HASH-limitN, with "limit": N in index.json and stats.json, so merge, validate --config and --resume never take it for the full run' })
        .example('$0 run pipelines/sample.yaml', 'Build the sample mix into out/sample')
        .example('$0 run mix.yaml --out /data/shards --resume', 'Continue a run that was killed')
        .example('$0 run mix.yaml --strict', 'Exit 1 when the shards would fail `validate` (ratios, fill, rejects, token ids)')
        .example('$0 run mix.yaml --rank 3 --world-size 16 --out /data/shards', 'Part 3 of 16; then: shardloom merge /data/shards')
        .example('$0 run mix.yaml --dry-run --rank 3 --world-size 16', 'What part 3 of 16 would read and where it would write, without running it (--json for a machine)')
        .example('$0 run mix.yaml --limit 200 --out /tmp/smoke', 'A smoke run: the first 200 documents of each source, then look at it with stats / inspect'),
    handler: async (a) => {
      const cpus = a.cpus === undefined ? undefined : cpuCount(a.cpus, '--cpus');
      if (a['dry-run']) {
        const { dryRun, formatDryRun } = await import('../dry-run.js');
        const plan = await dryRun(a.config, { out: a.out, overwrite: a.overwrite, resume: a.resume, rank: a.rank, worldSize: a['world-size'], cpus, limit: a.limit });
        process.stdout.write(a.json ? JSON.stringify(plan, null, 2) + '\n' : formatDryRun(plan));
        return setCode(plan.problems.length ? 2 : 0);
      }
      // Imported here, not at the top: `shardloom --help` and `--version` must not load the pipeline.
      const [{ runPipeline }, { createLogger }, { formatStatsTable }, { formatMixVerdict }] = await Promise.all([
        import('../run.js'), import('../core/log.js'), import('../shards/report.js'), import('../shards/run-stats.js'),
      ]);
      const log = createLogger(a.quiet ? 'warn' : 'info');
      // SIGINT/SIGTERM: stop pulling input, keep finished shards, discard the partial one, write the index.
      const ac = new AbortController();
      let signalCode = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (signalCode) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal: leave at once
        signalCode = sig === 'SIGINT' ? 130 : 143;
        log.warn(`${sig}: stopping after the current record; finished shards are kept (use --resume to continue)`);
        ac.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const res = await runPipeline(a.config, { out: a.out, overwrite: a.overwrite, resume: a.resume, rank: a.rank, worldSize: a['world-size'], cpus, limit: a.limit, log, progress: !a.quiet, signal: ac.signal, tuneAllocator: true });
        if (a.json) process.stdout.write(JSON.stringify({ outDir: res.outDir, complete: res.index.complete, totals: res.index.totals, stats: res.stats }, null, 2) + '\n');
        else if (res.index.complete) process.stdout.write(`Shards written to ${res.outDir}${a.limit ? ` (a limited run: the first ${a.limit} documents of each source; config ${res.index.configHash})` : ''}\n\n` + formatStatsTable(res.index, res.stats) + '\n');
        else process.stdout.write(`Interrupted: ${res.index.totals.shards} finished shard(s) in ${res.outDir}; run again with --resume to finish.\n`);
        // The mix verdict ends every run on stderr, --quiet or not: it is what a reviewer of the run reads first.
        for (const line of formatMixVerdict(res.stats.mixVerdict)) process.stderr.write(messageLine(res.stats.mixVerdict.ok ? 'info' : 'warn', line) + '\n');
        let code = res.index.complete ? 0 : signalCode || 3;
        if (a.strict && res.index.complete) {
          const [{ validateRun }, { loadConfig }] = await Promise.all([import('../shards/validate.js'), import('../config/load.js')]);
          const report = await validateRun(res.outDir, loadConfig(a.config));
          for (const f of report.failures) log.error(`strict: FAIL [${f.check}]${f.shard ? ` ${f.shard}` : ''}${f.row !== undefined ? ` row ${f.row}` : ''}: ${f.message}`);
          if (report.omitted > 0) log.error(`strict: … and ${report.omitted} more failure(s)`);
          if (!report.ok) { log.error(`strict: the run's output fails validate (${report.failures.length + report.omitted} check(s)); exit 1`); code = 1; }
          else log.info('strict: the output passes validate');
        }
        setCode(code);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}
