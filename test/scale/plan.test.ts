import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { planJob, shellQuote, jobName } from '../../src/scale/plan.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
const cfgFile = join(dir, 'my mix.yaml');
const cfgText = ['name: My Mix_v2', 'output:', '  dir: out/mix', 'sources:', '  - name: web', '    kind: text', '    paths: ["data/*.jsonl"]', ''].join('\n');
const cfg = parseConfig(cfgText, cfgFile);

function bashN(file: string): void {
  const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('plan: Slurm', () => {
  const out = join(dir, 'shards');
  const plan = planJob(cfg, { executor: 'slurm', worldSize: 4, out, partition: 'cpu', cpus: 16, memory: '64Gi', time: '2-00:00:00', parallelism: 3 });
  const file = join(dir, plan.fileName);
  writeFileSync(file, plan.text);

  test('the submit script passes bash -n and names the config', () => {
    expect(plan.fileName).toBe('shardloom-my-mix-v2.slurm.sh');
    expect(plan.submit(file)).toBe(`bash ${file}`);
    bashN(file);
    expect(plan.text).toContain(`config ${cfg.configHash}`);
  });

  test('run with a stand-in sbatch: writes both batch scripts, submits the array, then merge afterok', () => {
    // A fake sbatch on PATH records its arguments and answers like `sbatch --parsable` on a federated cluster.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const log = join(dir, 'sbatch.log');
    writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\necho "$@" >> '${log}'\nn=$(wc -l < '${log}')\necho "$((1000 + n));clusterA"\n`);
    chmodSync(join(bin, 'sbatch'), 0o755);
    const r = spawnSync('bash', [file], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('submitted 4 ranks: job array 1001\n');
    expect(r.stdout).toContain('submitted merge + validate: job 1002 (runs when job 1001 has succeeded)');
    const jobs = join(out, 'slurm');
    expect(readFileSync(log, 'utf8').split('\n')).toEqual([
      `--parsable ${jobs}/ranks.sbatch`,
      `--parsable --dependency=afterok:1001 --kill-on-invalid-dep=yes ${jobs}/merge.sbatch`,
      '',
    ]);
    expect(existsSync(join(jobs, 'logs'))).toBe(true);
    const ranks = readFileSync(join(jobs, 'ranks.sbatch'), 'utf8');
    const merge = readFileSync(join(jobs, 'merge.sbatch'), 'utf8');
    bashN(join(jobs, 'ranks.sbatch'));
    bashN(join(jobs, 'merge.sbatch'));
    const sbatch = (s: string) => s.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(sbatch(ranks)).toEqual([
      '#SBATCH --job-name=shardloom-my-mix-v2',
      '#SBATCH --array=0-3%3',
      '#SBATCH --cpus-per-task=16',
      '#SBATCH --mem=64G',
      '#SBATCH --time=2-00:00:00',
      '#SBATCH --partition=cpu',
      `#SBATCH --output=${jobs}/logs/%x-%A_%a.out`,
      '#SBATCH --open-mode=append',
      '#SBATCH --requeue',
    ]);
    const q = shellQuote(cfgFile);
    expect(q).toBe(`'${cfgFile}'`);
    expect(ranks).toContain(`\nexec npx shardloom run ${q} --rank "$SLURM_ARRAY_TASK_ID" --world-size 4 --cpus "\${SLURM_CPUS_PER_TASK:-16}" --out ${out} --resume\n`);
    expect(merge).toContain(`\nnpx shardloom merge ${out}\nnpx shardloom validate ${out} --config ${q}\n`);
    expect(sbatch(merge)).toContain('#SBATCH --job-name=shardloom-my-mix-v2-merge');
  });

  test('defaults: output.dir of the config, 8 CPUs, 32G, a day, no throttle', () => {
    const text = planJob(cfg, { executor: 'slurm', worldSize: 2 }).text;
    expect(text).toContain('#SBATCH --array=0-1\n#SBATCH --cpus-per-task=8\n#SBATCH --mem=32G\n#SBATCH --time=24:00:00\n');
    expect(text).toContain(`--out ${join(dir, 'out/mix')} --resume`);
  });

  test('--cpus: the task gets its allocation (--cpus-per-task) as run --cpus; run.cpus of the config is the default', () => {
    // The rank command, run with a stand-in shardloom and the variables Slurm sets, receives the allocation.
    const out = join(dir, 'cpus-out');
    const text = planJob(cfg, { executor: 'slurm', worldSize: 2, out, cpus: 6, command: 'echo shardloom' }).text;
    expect(text).toContain('\n#SBATCH --cpus-per-task=6\n');
    const script = join(dir, 'ranks-cpus.sbatch');
    writeFileSync(script, text.split("ranks.sbatch <<'SBATCH'\n")[1].split('\nSBATCH\n')[0] + '\n');
    const r = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '1', SLURM_CPUS_PER_TASK: '6' } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`shardloom run ${cfgFile} --rank 1 --world-size 2 --cpus 6 --out ${out} --resume\n`);
    const withRunCpus = parseConfig(cfgText + 'run:\n  cpus: 12\n', cfgFile);
    expect(planJob(withRunCpus, { executor: 'slurm', worldSize: 2 }).text).toContain('\n#SBATCH --cpus-per-task=12\n');
    expect(planJob(withRunCpus, { executor: 'slurm', worldSize: 2, cpus: 4 }).text).toContain('\n#SBATCH --cpus-per-task=4\n');
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, cpus: 0 })).toThrow('Expected --cpus to be a whole number ≥ 1 but received 0');
  });

  test('bad settings are refused with what was expected', () => {
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 1 })).toThrow(/world size of at least 2 but received 1; one rank needs no plan/);
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, memory: 'lots' })).toThrow('Expected memory like 32G or 512M but received "lots"');
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, time: '1 day' })).toThrow(/Slurm time limit like 24:00:00/);
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, out: join(dir, 'a b') })).toThrow(/path with spaces/);
    expect(() => planJob(cfg, { executor: 'nomad' as 'slurm', worldSize: 2 })).toThrow('Expected executor "slurm" or "k8s" but received "nomad"');
  });
});

describe('plan: Kubernetes', () => {
  const plan = planJob(cfg, { executor: 'k8s', worldSize: 40, parallelism: 16, image: 'reg.example/shardloom:0.1', memory: '48G', cpus: 12 });
  const docs = parseAllDocuments(plan.text) as ReturnType<typeof parseAllDocuments> & unknown[];
  type Job = { kind: string; metadata: { name: string }; spec: Record<string, unknown> & { template: { spec: { restartPolicy: string; containers: Record<string, unknown>[]; volumes: unknown[] } } } };
  const [ranks, merge] = (docs as unknown as { toJS(): Job; errors: unknown[] }[]).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });

  test('two Jobs: an Indexed Job of N completions and a merge Job', () => {
    expect(docs).toHaveLength(2);
    expect(plan.fileName).toBe('shardloom-my-mix-v2.k8s.yaml');
    expect(ranks.kind).toBe('Job');
    expect(ranks.metadata.name).toBe('shardloom-my-mix-v2-ranks');
    expect(ranks.spec).toMatchObject({ completionMode: 'Indexed', completions: 40, parallelism: 16, backoffLimitPerIndex: 3 });
    expect(ranks.spec.template.spec.restartPolicy).toBe('Never'); // required by backoffLimitPerIndex
    expect(merge.metadata.name).toBe('shardloom-my-mix-v2-merge');
    expect(merge.spec.completionMode).toBeUndefined();
  });

  test('the rank command uses $JOB_COMPLETION_INDEX; config and output live on the volume', () => {
    const c = ranks.spec.template.spec.containers[0];
    expect(c.image).toBe('reg.example/shardloom:0.1');
    expect(c.command).toEqual(['sh', '-c', 'exec npx shardloom run \'/data/my mix.yaml\' --rank "$JOB_COMPLETION_INDEX" --world-size 40 --cpus "$SHARDLOOM_CPUS" --out /data/out/mix --resume']);
    expect(c.resources).toEqual({ requests: { cpu: '12', memory: '48Gi' }, limits: { memory: '48Gi' } });
    expect(c.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(ranks.spec.template.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'shardloom-data' } }]);
  });

  test('--cpus: the CPU request, passed to the rank as --cpus through the Downward API; run.cpus is the default', () => {
    const c = ranks.spec.template.spec.containers[0];
    expect(c.name).toBe('rank'); // the containerName the resourceFieldRef names
    expect(c.env).toEqual([
      { name: 'SHARDLOOM_WORLD_SIZE', value: '40' },
      { name: 'SHARDLOOM_CPUS', valueFrom: { resourceFieldRef: { containerName: 'rank', resource: 'requests.cpu', divisor: '1' } } },
    ]);
    // The pod's shell expands it as Kubernetes sets it (the request, in whole CPUs).
    const r = spawnSync('sh', ['-c', (c.command as string[])[2].replace('exec npx shardloom', 'echo shardloom')], { encoding: 'utf8', env: { ...process.env, JOB_COMPLETION_INDEX: '7', SHARDLOOM_CPUS: '12' } });
    expect(r.stdout).toBe('shardloom run /data/my mix.yaml --rank 7 --world-size 40 --cpus 12 --out /data/out/mix --resume\n');
    const withRunCpus = parseConfig(cfgText + 'run:\n  cpus: 5\n', cfgFile);
    const job = (parseAllDocuments(planJob(withRunCpus, { executor: 'k8s', worldSize: 2 }).text)[0] as unknown as { toJS(): Job }).toJS();
    expect(job.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '5', memory: '32Gi' }, limits: { memory: '32Gi' } });
  });

  test('the merge Job waits for all ranks, then merges and validates; its script passes sh -n', () => {
    const script = (merge.spec.template.spec.containers[0].command as string[])[2];
    expect(script).toContain(`[ "$done_ranks" -ge 40 ] && break`);
    expect(script).toContain('\nnpx shardloom merge /data/out/mix\nnpx shardloom validate /data/out/mix --config \'/data/my mix.yaml\'\n');
    const f = join(dir, 'merge.sh');
    writeFileSync(f, script);
    expect(spawnSync('sh', ['-n', f]).status).toBe(0);
  });

  test('the wait loop ends once every rank index.json says complete', () => {
    const out = join(dir, 'k8s-out');
    const small = planJob(cfg, { executor: 'k8s', worldSize: 2, out, command: 'echo shardloom' });
    const job = (parseAllDocuments(small.text) as unknown as { toJS(): Job }[])[1].toJS();
    const script = (job.spec.template.spec.containers[0].command as string[])[2];
    for (const k of [0, 1]) {
      mkdirSync(join(out, `rank-0000${k}`), { recursive: true });
      writeFileSync(join(out, `rank-0000${k}`, 'index.json'), JSON.stringify({ rank: k, complete: true }, null, 2));
    }
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`shardloom merge ${out}\nshardloom validate ${out} --config /data/my mix.yaml\n`); // echo prints the words the shell split
  });

  test('an output.dir outside the volume is replaced by one on it, and the header says so', () => {
    const escaping = parseConfig(cfgText.replace('dir: out/mix', 'dir: ../out/mix'), cfgFile);
    const text = planJob(escaping, { executor: 'k8s', worldSize: 2 }).text;
    expect(text).toContain('--world-size 2 --cpus "$SHARDLOOM_CPUS" --out /data/out/my-mix-v2 --resume');
    expect(text).toContain('# (output.dir ../out/mix of the config leaves the volume, so the output goes to /data/out/my-mix-v2; --output-dir chooses.)');
    expect(planJob(escaping, { executor: 'k8s', worldSize: 2, out: '/scratch/o' }).text).toContain('--out /scratch/o --resume');
  });

  test('parallelism defaults to all ranks and is never above the world size', () => {
    const spec = (n: number, p?: number) => (parseAllDocuments(planJob(cfg, { executor: 'k8s', worldSize: n, parallelism: p }).text)[0] as unknown as { toJS(): Job }).toJS().spec;
    expect(spec(5).parallelism).toBe(5);
    expect(spec(5, 64).parallelism).toBe(5);
  });
});

test('job names are valid Kubernetes names', () => {
  expect(jobName('Sample')).toBe('shardloom-sample');
  expect(jobName('__')).toBe('shardloom-run');
  expect(jobName('x'.repeat(80)).length).toBeLessThanOrEqual(50);
});

describe('CLI: shardloom plan', () => {
  test('--out writes the plan (the Slurm script executable) and says how to start it', async () => {
    const { planCommand } = await import('../../src/cli/plan.js');
    const { default: yargs } = await import('yargs');
    const { statSync } = await import('node:fs');
    writeFileSync(cfgFile, cfgText);
    const file = join(dir, 'cli.sh');
    let code = -1;
    const err: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
    try {
      await yargs(['plan', cfgFile, '--executor', 'slurm', '--world-size', '3', '--out', file]).command(planCommand((c) => (code = c))).strict().exitProcess(false).parseAsync();
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(0);
    expect(err.join('')).toBe(`wrote ${file}; start it with: bash ${file}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o755);
    expect(readFileSync(file, 'utf8')).toContain('#SBATCH --array=0-2\n');
    bashN(file);
  });

  test('--cpus is parsed as a whole number; a bad one is a usage error', async () => {
    const { planCommand } = await import('../../src/cli/plan.js');
    const { default: yargs } = await import('yargs');
    writeFileSync(cfgFile, cfgText);
    const plan = (cpus: string) => yargs(['plan', cfgFile, '--executor', 'slurm', '--world-size', '2', '--cpus', cpus, '--out', join(dir, 'cpus.sh')])
      .command(planCommand(() => undefined)).strict().exitProcess(false).fail(false).parseAsync();
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await plan('3');
      expect(readFileSync(join(dir, 'cpus.sh'), 'utf8')).toContain('#SBATCH --cpus-per-task=3\n');
      for (const bad of ['0', 'abc', '2.5']) {
        await expect(plan(bad)).rejects.toMatchObject({ code: 'USAGE', message: `Expected --cpus to be a whole number ≥ 1 but received "${bad}" of type string` });
      }
    } finally {
      process.stderr.write = write;
    }
  });
});
