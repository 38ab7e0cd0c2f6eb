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
      const [{ loadConfig }, { validateRun }, { FILL_LABEL, formatFill }] = await Promise.all([import('../config/load.js'), import('../shards/validate.js'), import('../shards/run-stats.js')]);
      const cfg = a.config ? loadConfig(a.config) : undefined;
      const report = await validateRun(a.dir, cfg);
      const limit = await limitOf(a.dir);
      if (a.json) {
        process.stdout.write(JSON.stringify(limit ? { ...report, limit } : report, null, 2) + '\n');
      } else {
        const m = report.measured;
        process.stdout.write(`${m.shards} shards, ${m.rows} rows, ${m.samples} samples, ${m.tokens} tokens, ${m.tiles} tiles` + (m.fill !== null ? `, ${FILL_LABEL} ${formatFill(m.fill)} of ${m.maxTokens}-token rows` : '') + '\n');
        for (const f of report.failures) process.stdout.write(`FAIL [${f.check}]${f.shard ? ` ${f.shard}` : ''}${f.row !== undefined ? ` row ${f.row}` : ''}: ${f.message}\n`);
        if (report.omitted > 0) process.stdout.write(`… and ${report.omitted} more failure(s) not listed (the first ${report.failures.length} are shown)\n`);
        if (limit) process.stdout.write(`note: a limited run (--limit ${limit}): the first ${limit} documents of each source, not the full run\n`);
        process.stdout.write(report.ok ? 'OK: all checks passed\n' : `${report.failures.length + report.omitted} check(s) failed\n`);
      }
      setCode(report.ok ? 0 : 1);
    },
  };
}

/** `limit` of a `run --limit N` output (index.json says so), else undefined; an unreadable index is validate's to report. */
export async function limitOf(dir: string): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    const limit = (JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { limit?: unknown }).limit;
    return typeof limit === 'number' ? limit : undefined;
  } catch {
    return undefined;
  }
}
