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
  const plan = planJob(cfg, { executor: 'slurm', worldSize: 4, out, partition: 'cpu', cpus: 16, memory: '64Gi', time: '2-00:00:00', parallelism: 3, node: '/opt/node 20/bin/node' });
  const cmd = `'/opt/node 20/bin/node' ${join(process.cwd(), 'dist/cli/main.js')}`;
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
      `#SBATCH --chdir=${out}`,
      `#SBATCH --output=${jobs}/logs/%x-%A_%a.out`,
      '#SBATCH --open-mode=append',
      '#SBATCH --requeue',
      '#SBATCH --signal=B:TERM@60',
    ]);
    const q = shellQuote(cfgFile);
    expect(q).toBe(`'${cfgFile}'`);
    // exec: node replaces the batch shell, so Slurm's SIGTERM reaches shardloom; never npx.
    expect(ranks).toContain(`\nexec ${cmd} run ${q} --rank "$SLURM_ARRAY_TASK_ID" --world-size 4 --cpus "\${SLURM_CPUS_PER_TASK:-16}" --out ${out} --resume\n`);
    expect(plan.text).not.toContain('npx');
    expect(merge).toContain(`\n${cmd} merge ${out}\nexec ${cmd} validate ${out} --config ${q}\n`);
    expect(sbatch(merge)).toEqual([
      '#SBATCH --job-name=shardloom-my-mix-v2-merge',
      '#SBATCH --cpus-per-task=2',
      '#SBATCH --mem=8G',
      '#SBATCH --time=4:00:00',
      '#SBATCH --partition=cpu',
      `#SBATCH --chdir=${out}`,
      `#SBATCH --output=${jobs}/logs/%x-%j.out`,
    ]);
    bashN(join(jobs, 'resubmit.sh'));
  });

  test('resubmit.sh: the tasks again, then a merge after them and after any task of the run still queued', () => {
    const bin = join(dir, 'bin-resubmit');
    mkdirSync(bin, { recursive: true });
    const log = join(dir, 'resubmit.log');
    writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\necho "sbatch $@" >> '${log}'\nn=$(wc -l < '${log}')\necho "$((2000 + n))"\n`);
    writeFileSync(join(bin, 'squeue'), `#!/bin/sh\necho "squeue $@" >> '${log}'\nprintf '1500\\n2001\\n1500\\n'\n`);
    for (const f of ['sbatch', 'squeue']) chmodSync(join(bin, f), 0o755);
    const jobs = join(out, 'slurm');
    const r = spawnSync('bash', [join(jobs, 'resubmit.sh'), '1', '3'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('resubmitted tasks 1,3: job 2001; merge + validate: job 2003\n');
    expect(readFileSync(log, 'utf8').split('\n')).toEqual([
      `sbatch --parsable --array=1,3 ${jobs}/ranks.sbatch`,
      'squeue -h -n shardloom-my-mix-v2 -o %A',
      `sbatch --parsable --dependency=afterok:2001,afterany:1500 --kill-on-invalid-dep=yes ${jobs}/merge.sbatch`,
      '',
    ]);
    expect(spawnSync('bash', [join(jobs, 'resubmit.sh')], { encoding: 'utf8' }).status).toBe(2);
  });

  test('the jobs call shardloom by absolute path: this node and dist/cli/main.js, --node, --shardloom-bin', () => {
    const rank = (o: Partial<Parameters<typeof planJob>[1]>) => /\nexec (.*) run /.exec(planJob(cfg, { executor: 'slurm', worldSize: 2, ...o }).text)![1];
    expect(rank({})).toBe(`${process.execPath} ${join(process.cwd(), 'dist/cli/main.js')}`);
    expect(rank({ node: '/usr/local/bin/node' })).toBe(`/usr/local/bin/node ${join(process.cwd(), 'dist/cli/main.js')}`);
    expect(rank({ shardloomBin: '/opt/shardloom/bin/shardloom' })).toBe('/opt/shardloom/bin/shardloom');
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, node: 'node' })).toThrow('Expected --node to be an absolute path (the jobs run elsewhere) but received "node"');
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, shardloomBin: 'bin/shardloom' })).toThrow(/--shardloom-bin to be an absolute path/);
    expect(planJob(cfg, { executor: 'slurm', worldSize: 2, workdir: '/scratch/w' }).text).toContain('\n#SBATCH --chdir=/scratch/w\n');
  });

  test('the merge job is sized by --merge-cpus, --merge-memory, --merge-time', () => {
    const text = planJob(cfg, { executor: 'slurm', worldSize: 2, mergeCpus: 4, mergeMemory: '16G', mergeTime: '30' }).text;
    expect(text).toContain('#SBATCH --job-name=shardloom-my-mix-v2-merge\n#SBATCH --cpus-per-task=4\n#SBATCH --mem=16G\n#SBATCH --time=30\n');
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, mergeTime: 'soon' })).toThrow('Expected a --merge-time time limit like 24:00:00, 90 or 2-00:00:00 but received "soon"');
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, mergeCpus: 0 })).toThrow(/--merge-cpus to be a whole number/);
  });

  test('defaults: output.dir of the config, 8 CPUs, 32G, a day, no throttle', () => {
    const text = planJob(cfg, { executor: 'slurm', worldSize: 2 }).text;
    expect(text).toContain(`#SBATCH --array=0-1\n#SBATCH --cpus-per-task=8\n#SBATCH --mem=32G\n#SBATCH --time=24:00:00\n#SBATCH --chdir=${join(dir, 'out/mix')}\n`);
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
    expect(() => planJob(cfg, { executor: 'slurm', worldSize: 2, workdir: join(dir, 'a b') })).toThrow(/start jobs in a path with spaces/);
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
    expect(ranks.spec.template.spec).toMatchObject({ activeDeadlineSeconds: 86400, terminationGracePeriodSeconds: 120 });
    expect(ranks.spec.template.spec.restartPolicy).toBe('Never'); // required by backoffLimitPerIndex
    expect(merge.metadata.name).toBe('shardloom-my-mix-v2-merge');
    expect(merge.spec.completionMode).toBeUndefined();
  });

  test('the rank command uses $JOB_COMPLETION_INDEX; config and output live on the volume', () => {
    const c = ranks.spec.template.spec.containers[0];
    expect(c.image).toBe('reg.example/shardloom:0.1');
    expect(c.command).toEqual(['sh', '-c', 'exec node /opt/shardloom/dist/cli/main.js run \'/data/my mix.yaml\' --rank "$JOB_COMPLETION_INDEX" --world-size 40 --cpus "$SHARDLOOM_CPUS" --out /data/out/mix --resume']);
    expect(c.workingDir).toBe('/data');
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
    const r = spawnSync('sh', ['-c', (c.command as string[])[2].replace('exec node /opt/shardloom/dist/cli/main.js', 'echo shardloom')], { encoding: 'utf8', env: { ...process.env, JOB_COMPLETION_INDEX: '7', SHARDLOOM_CPUS: '12' } });
    expect(r.stdout).toBe('shardloom run /data/my mix.yaml --rank 7 --world-size 40 --cpus 12 --out /data/out/mix --resume\n');
    const withRunCpus = parseConfig(cfgText + 'run:\n  cpus: 5\n', cfgFile);
    const job = (parseAllDocuments(planJob(withRunCpus, { executor: 'k8s', worldSize: 2 }).text)[0] as unknown as { toJS(): Job }).toJS();
    expect(job.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '5', memory: '32Gi' }, limits: { memory: '32Gi' } });
  });

  test('the merge Job waits for all ranks, then merges and validates; its script passes sh -n', () => {
    const script = (merge.spec.template.spec.containers[0].command as string[])[2];
    expect(script).toContain(`[ "$done_ranks" -ge 40 ] && break`);
    const cli = 'node /opt/shardloom/dist/cli/main.js';
    expect(script).toContain(`\n${cli} merge /data/out/mix\n${cli} validate /data/out/mix --config '/data/my mix.yaml'\n`);
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

  test('config errors fail the Job at once, disruptions are retried; the merge has a deadline and small requests', () => {
    const policy = (container: string, codes: number[]) => ({ rules: [
      { action: 'FailJob', onExitCodes: { containerName: container, operator: 'In', values: codes } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
    ] });
    expect(ranks.spec.podFailurePolicy).toEqual(policy('rank', [2]));
    expect(merge.spec.podFailurePolicy).toEqual(policy('merge', [1, 2]));
    // 40 ranks, 16 at a time: 3 waves of a day, each up to 4 tries, then 4 h of merge.
    expect(merge.spec.activeDeadlineSeconds).toBe(3 * 86400 * 4 + 4 * 3600);
    expect(merge.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '1', memory: '8Gi' }, limits: { memory: '8Gi' } });
    const small = (parseAllDocuments(planJob(cfg, { executor: 'k8s', worldSize: 2, time: '1:00:00', mergeTime: '10', mergeCpus: 2, mergeMemory: '1G', retries: 0 }).text) as unknown as { toJS(): Job }[]).map((d) => d.toJS());
    expect(small[0].spec.template.spec).toMatchObject({ activeDeadlineSeconds: 3600 });
    expect(small[1].spec.activeDeadlineSeconds).toBe(3600 + 600);
    expect(small[1].spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '2', memory: '1Gi' }, limits: { memory: '1Gi' } });
  });

  test('the manifest states its volume needs; plan warns about inputs and outputs the pods cannot see', () => {
    expect(plan.text).toContain('so the claim must be\n# ReadWriteMany');
    expect(plan.warnings).toEqual([]);
    const outside = parseConfig(cfgText.replace('paths: ["data/*.jsonl"]', 'paths: ["data/*.jsonl", "../elsewhere/*.jsonl", "/mnt/raw/*.jsonl", "https://example.com/a.jsonl"]'), cfgFile);
    const p = planJob(outside, { executor: 'k8s', worldSize: 2, out: '/scratch/o', config: '/etc/mix.yaml' });
    expect(p.warnings).toEqual([
      'the config /etc/mix.yaml is not on the volume shardloom-data mounted at /data; the pods cannot read it unless the image holds it',
      'input data/*.jsonl is /etc/data/*.jsonl in the pods, outside the volume shardloom-data mounted at /data; put it on the volume or change the path',
      'input ../elsewhere/*.jsonl is /elsewhere/*.jsonl in the pods, outside the volume shardloom-data mounted at /data; put it on the volume or change the path',
      'input /mnt/raw/*.jsonl is /mnt/raw/*.jsonl in the pods, outside the volume shardloom-data mounted at /data; put it on the volume or change the path',
      '--output-dir /scratch/o is outside the volume shardloom-data mounted at /data; the shards would be lost with the pods',
    ]);
    expect(planJob(outside, { executor: 'k8s', worldSize: 2, mountPath: '/' }).warnings).toEqual([]);
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

  test('an s3:// (or any URL) output is refused with what to do: merge and validate read a shared directory', () => {
    for (const executor of ['slurm', 'k8s'] as const) {
      expect(() => planJob(parseConfig(cfgText, cfgFile), { executor, worldSize: 2, out: 's3://bucket/shards', config: '/data/mix.yaml' })).toThrow(/A plan needs a shared directory for its output, not "s3:\/\/bucket\/shards"/);
    }
  });

  test('k8s: inputs outside the volume are warned about on stderr; --node must be absolute', async () => {
    const { planCommand } = await import('../../src/cli/plan.js');
    const { default: yargs } = await import('yargs');
    writeFileSync(cfgFile, cfgText.replace('paths: ["data/*.jsonl"]', 'paths: ["/mnt/raw/*.jsonl"]'));
    const err: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
    const plan = (...extra: string[]) => yargs(['plan', cfgFile, '--executor', 'k8s', '--world-size', '2', '--out', join(dir, 'w.yaml'), ...extra])
      .command(planCommand(() => undefined)).strict().exitProcess(false).fail(false).parseAsync();
    try {
      await plan('--merge-cpus', '2', '--merge-memory', '2G', '--merge-time', '30');
      await expect(plan('--node', 'bin/node')).rejects.toMatchObject({ code: 'USAGE', message: 'Expected --node to be an absolute path (the jobs run elsewhere) but received "bin/node"' });
    } finally {
      process.stderr.write = write;
      writeFileSync(cfgFile, cfgText);
    }
    expect(err[0]).toBe('shardloom: warning: input /mnt/raw/*.jsonl is /mnt/raw/*.jsonl in the pods, outside the volume shardloom-data mounted at /data; put it on the volume or change the path\n');
    expect(readFileSync(join(dir, 'w.yaml'), 'utf8')).toContain('activeDeadlineSeconds: 347400') // 1 wave × a day × 4 tries + 30 min;
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
