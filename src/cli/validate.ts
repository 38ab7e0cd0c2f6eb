import type { CommandModule } from 'yargs';

interface Args { dir: string; config?: string; json: boolean }

export function validateCommand(setCode: (c: number) => void): CommandModule<object, Args> {
  return {
    command: 'validate <dir>',
    describe: 'Recompute statistics from the shards and check them (exit 1 on any failure) — for CI',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'Output directory of a run' })
        .option('config', { type: 'string', describe: 'Pipeline YAML whose validate: thresholds (ratio tolerance, fill, rejects) apply' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' })
        .example('$0 validate out/sample', 'Check checksums, schema, counts and row invariants')
        .example('$0 validate out/sample --config pipelines/sample.yaml', '…and the mix ratios and thresholds of the config'),
    handler: async (a) => {
      // Imported here, not at the top: `shardloom --help` and `--version` must not load the pipeline.
      const [{ loadConfig }, { validateRun }] = await Promise.all([import('../config/load.js'), import('../shards/validate.js')]);
      const cfg = a.config ? loadConfig(a.config) : undefined;
      const report = await validateRun(a.dir, cfg);
      if (a.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        const m = report.measured;
        process.stdout.write(`${m.shards} shards, ${m.rows} rows, ${m.samples} samples, ${m.tokens} tokens, ${m.tiles} tiles` + (m.fill !== null ? `, fill ${(m.fill * 100).toFixed(2)} %` : '') + '\n');
        for (const f of report.failures) process.stdout.write(`FAIL [${f.check}]${f.shard ? ` ${f.shard}` : ''}${f.row !== undefined ? ` row ${f.row}` : ''}: ${f.message}\n`);
        if (report.omitted > 0) process.stdout.write(`… and ${report.omitted} more failure(s) not listed (the first ${report.failures.length} are shown)\n`);
        process.stdout.write(report.ok ? 'OK: all checks passed\n' : `${report.failures.length + report.omitted} check(s) failed\n`);
      }
      setCode(report.ok ? 0 : 1);
    },
  };
}
