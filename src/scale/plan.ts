/**
 * plan: write the job files for a many-machine run on an existing scheduler — a Slurm job array or a
 * Kubernetes Indexed Job — plus the merge + validate step that follows it. We generate files a user
 * reads and runs; we never schedule anything ourselves.
 */
import { basename, isAbsolute, join, posix, resolve } from 'node:path';
import { Document } from 'yaml';
import { outputDirOf, type ResolvedConfig } from '../config/types.js';
import { ShardloomError } from '../core/errors.js';

export type Executor = 'slurm' | 'k8s';

export interface PlanOptions {
  executor: Executor;
  /** Number of ranks (array tasks / completion indexes); at least 2. */
  worldSize: number;
  /** Where the ranks write (default: output.dir of the config). For k8s, a path inside the container. */
  out?: string;
  /** The config path the jobs use (default: its absolute path; k8s: MOUNT/<file name>). */
  config?: string;
  /** How the jobs call shardloom (default `npx shardloom`). */
  command?: string;
  /**
   * CPUs per rank (default: run.cpus of the config, else 8). The allocation sets it and each rank gets it as
   * `--cpus` (Slurm: $SLURM_CPUS_PER_TASK; Kubernetes: the CPU request), so its pools fit what it was given.
   */
  cpus?: number;
  /** Memory per rank, e.g. 32G (default 32G; written as 32Gi for Kubernetes). */
  memory?: string;
  /** Slurm: time limit per rank, Slurm syntax (default 24:00:00). */
  time?: string;
  /** Slurm: partition. */
  partition?: string;
  /** Ranks running at once (default: all; Slurm writes it as --array=0-(N-1)%P). */
  parallelism?: number;
  /** k8s: container image holding shardloom (default shardloom:latest). */
  image?: string;
  /** k8s: PersistentVolumeClaim holding config, inputs and output (default shardloom-data). */
  volume?: string;
  /** k8s: where the volume is mounted (default /data). */
  mountPath?: string;
  /** k8s: retries per index (backoffLimitPerIndex, default 3). */
  retries?: number;
}

export interface Plan {
  executor: Executor;
  text: string;
  /** A file name to save the plan under. */
  fileName: string;
  /** How to start it, given the file name. */
  submit: (file: string) => string;
}

export function planJob(cfg: ResolvedConfig, opts: PlanOptions): Plan {
  if (!Number.isInteger(opts.worldSize) || opts.worldSize < 2) {
    throw new ShardloomError('USAGE', `Expected a world size of at least 2 but received ${opts.worldSize}; one rank needs no plan: shardloom run ${basename(cfg.configPath)}`);
  }
  if (opts.cpus !== undefined && !(Number.isInteger(opts.cpus) && opts.cpus >= 1)) throw new ShardloomError('USAGE', `Expected --cpus to be a whole number ≥ 1 but received ${opts.cpus}`);
  if (opts.parallelism !== undefined && !(Number.isInteger(opts.parallelism) && opts.parallelism >= 1)) throw new ShardloomError('USAGE', `Expected --parallelism to be a whole number ≥ 1 but received ${opts.parallelism}`);
  if (opts.executor === 'slurm') return { executor: 'slurm', text: slurmScript(cfg, opts), fileName: `${jobName(cfg.name)}.slurm.sh`, submit: (f) => `bash ${f}` };
  if (opts.executor === 'k8s') return { executor: 'k8s', text: k8sManifest(cfg, opts), fileName: `${jobName(cfg.name)}.k8s.yaml`, submit: (f) => `kubectl apply -f ${f}` };
  throw new ShardloomError('USAGE', `Expected executor "slurm" or "k8s" but received "${String(opts.executor)}"`);
}

/** Quote for sh only when needed, so the usual paths stay readable. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A name that is a valid Slurm job name and Kubernetes object name (DNS-1123 label, room for suffixes). */
export function jobName(name: string): string {
  return 'shardloom-' + (name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'run');
}

function rankDir(k: number): string {
  return String(k).padStart(5, '0');
}

/** 32G / 32Gi / 32GB → { slurm: 32G, k8s: 32Gi }. */
function memoryOf(m: string): { slurm: string; k8s: string } {
  const r = /^(\d+)\s*([KMGT])(i|iB|B)?$/i.exec(m.trim());
  if (!r) throw new ShardloomError('USAGE', `Expected memory like 32G or 512M but received "${m}"`);
  const unit = r[2].toUpperCase();
  return { slurm: `${r[1]}${unit}`, k8s: `${r[1]}${unit}i` };
}

function cpusOf(cfg: ResolvedConfig, o: PlanOptions): number {
  return o.cpus ?? cfg.run.cpus ?? 8;
}

function slurmScript(cfg: ResolvedConfig, o: PlanOptions): string {
  const n = o.worldSize;
  const config = o.config ?? cfg.configPath;
  const out = resolve(o.out ?? outputDirOf(cfg));
  const jobs = join(out, 'slurm');
  if (/\s/.test(jobs) || /\s/.test(o.partition ?? '')) throw new ShardloomError('USAGE', `Slurm cannot write logs to a path with spaces (${jobs}); choose --output-dir (and --partition) without spaces`);
  const time = o.time ?? '24:00:00';
  if (!/^(\d+-)?\d+(:\d+){0,2}$/.test(time)) throw new ShardloomError('USAGE', `Expected a Slurm time limit like 24:00:00, 90 or 2-00:00:00 but received "${time}"`);
  const mem = memoryOf(o.memory ?? '32G').slurm;
  const cmd = o.command ?? 'npx shardloom';
  const name = jobName(cfg.name);
  const q = shellQuote;
  const throttle = o.parallelism && o.parallelism < n ? `%${o.parallelism}` : '';
  const cpus = cpusOf(cfg, o);
  const common = [`#SBATCH --time=${time}`, ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : [])];
  return `#!/usr/bin/env bash
# shardloom on Slurm: "${cfg.name}" (config ${cfg.configHash}) as ${n} ranks, then merge + validate.
# Generated by \`shardloom plan\`; read it, edit it, then run it on a login node:  bash THIS_FILE
#   1. writes two batch scripts to ${jobs}/
#   2. submits ranks.sbatch as a job array of ${n} tasks: task K runs rank K of ${n} into ${out}/rank-KKKKK/
#   3. submits merge.sbatch, which starts only when every task succeeded (afterok): it runs
#      \`shardloom merge\` and \`shardloom validate\` on ${out}
# A task that failed or was preempted can be run again on its own — it keeps its finished shards:
#   sbatch --array=K ${jobs}/ranks.sbatch
# Logs: ${jobs}/logs/
set -euo pipefail

mkdir -p ${q(jobs)}/logs

cat > ${q(jobs)}/ranks.sbatch <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --job-name=${name}
#SBATCH --array=0-${n - 1}${throttle}
#SBATCH --cpus-per-task=${cpus}
#SBATCH --mem=${mem}
${common.join('\n')}
#SBATCH --output=${jobs}/logs/%x-%A_%a.out
#SBATCH --open-mode=append
#SBATCH --requeue
set -euo pipefail
# --resume: a requeued or resubmitted task keeps its verified shards and redoes only the rest.
# --cpus: pools are sized to the task's CPUs (--cpus-per-task; Slurm sets SLURM_CPUS_PER_TASK from it), not to the node's.
exec ${cmd} run ${q(config)} --rank "$SLURM_ARRAY_TASK_ID" --world-size ${n} --cpus "\${SLURM_CPUS_PER_TASK:-${cpus}}" --out ${q(out)} --resume
SBATCH

cat > ${q(jobs)}/merge.sbatch <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --job-name=${name}-merge
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
${common.join('\n')}
#SBATCH --output=${jobs}/logs/%x-%j.out
set -euo pipefail
${cmd} merge ${q(out)}
${cmd} validate ${q(out)} --config ${q(config)}
SBATCH

# --parsable prints "jobid" or "jobid;cluster".
ranks_job=$(sbatch --parsable ${q(jobs)}/ranks.sbatch)
ranks_job=\${ranks_job%%;*}
echo "submitted ${n} ranks: job array $ranks_job"
# --kill-on-invalid-dep: if a rank fails for good, the merge job is cancelled instead of pending forever.
merge_job=$(sbatch --parsable --dependency=afterok:"$ranks_job" --kill-on-invalid-dep=yes ${q(jobs)}/merge.sbatch)
merge_job=\${merge_job%%;*}
echo "submitted merge + validate: job $merge_job (runs when job $ranks_job has succeeded)"
`;
}

function k8sManifest(cfg: ResolvedConfig, o: PlanOptions): string {
  const n = o.worldSize;
  const name = jobName(cfg.name);
  const mount = o.mountPath ?? '/data';
  const config = o.config ?? posix.join(mount, basename(cfg.configPath));
  // output.dir is relative to the config file, so in the container it is relative to where the config is.
  const fromConfig = isAbsolute(cfg.output.dir) ? cfg.output.dir : posix.join(posix.dirname(config), cfg.output.dir);
  // An output.dir that leaves the volume (e.g. ../out) would be lost with the pod: stay on the volume.
  const escapes = !o.out && !(fromConfig + '/').startsWith(mount.replace(/\/?$/, '/'));
  const out = o.out ?? (escapes ? posix.join(mount, 'out', name.slice('shardloom-'.length)) : fromConfig);
  const cmd = o.command ?? 'npx shardloom';
  const mem = memoryOf(o.memory ?? '32G').k8s;
  const q = shellQuote;
  const labels = { 'app.kubernetes.io/name': 'shardloom', 'shardloom/run': name.slice('shardloom-'.length), 'shardloom/config-hash': cfg.configHash };
  const pod = (container: Record<string, unknown>) => ({
    metadata: { labels },
    spec: {
      restartPolicy: 'Never',
      containers: [{ image: o.image ?? 'shardloom:latest', ...container, volumeMounts: [{ name: 'data', mountPath: mount }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: o.volume ?? 'shardloom-data' } }],
    },
  });
  const ranks = new Document({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${name}-ranks`, labels },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: Math.min(n, o.parallelism ?? n),
      // Retries count per rank (Kubernetes ≥ 1.29), so one bad rank cannot use up the others' retries.
      backoffLimitPerIndex: o.retries ?? 3,
      template: pod({
        name: 'rank',
        // --resume: a retried pod keeps the shards its predecessor finished.
        command: ['sh', '-c', `exec ${cmd} run ${q(config)} --rank "$JOB_COMPLETION_INDEX" --world-size ${n} --cpus "$SHARDLOOM_CPUS" --out ${q(out)} --resume`],
        env: [
          { name: 'SHARDLOOM_WORLD_SIZE', value: String(n) },
          // --cpus from the CPU request itself (rounded up), so that editing the request resizes the pools too.
          { name: 'SHARDLOOM_CPUS', valueFrom: { resourceFieldRef: { containerName: 'rank', resource: 'requests.cpu', divisor: '1' } } },
        ],
        // No CPU limit: throttling a data pipeline only makes it slower, and without a limit there is no cgroup
        // quota to size pools from — hence --cpus. Memory is limited so a leak fails one pod.
        resources: { requests: { cpu: String(cpusOf(cfg, o)), memory: mem }, limits: { memory: mem } },
      }),
    },
  }, { aliasDuplicateObjects: false });
  ranks.commentBefore = [
    ` shardloom on Kubernetes: "${cfg.name}" (config ${cfg.configHash}) as ${n} ranks, then merge + validate.`,
    ' Generated by `shardloom plan`; read it, edit it, then:  kubectl apply -f THIS_FILE',
    ` The volume ${o.volume ?? 'shardloom-data'} (mounted at ${mount}) must hold the config at ${config}`,
    ` and the inputs at the paths it names (relative to the config file); ranks write ${out}/rank-00000/ … rank-${rankDir(n - 1)}/.`,
    ...(escapes ? [` (output.dir ${cfg.output.dir} of the config leaves the volume, so the output goes to ${out}; --output-dir chooses.)`] : []),
    ` Job 1, ${name}-ranks: an Indexed Job; pod K runs rank K of ${n} (K = $JOB_COMPLETION_INDEX).`,
    ` Job 2, ${name}-merge: waits until all ${n} ranks wrote a complete index.json, then merges and validates.`,
    ` If the rank Job fails for good, delete the merge Job (kubectl delete job ${name}-merge), fix, and apply again:`,
    ' finished ranks are kept (--resume).',
  ].join('\n');
  const wait = [
    'set -eu',
    '# Wait for the rank Job: every rank writes index.json with "complete": true when it has finished.',
    'while :; do',
    `  done_ranks=$(grep -l '"complete": true' ${q(out)}/rank-*/index.json 2>/dev/null | wc -l)`,
    `  [ "$done_ranks" -ge ${n} ] && break`,
    `  echo "waiting: $done_ranks of ${n} ranks complete"`,
    '  sleep 60',
    'done',
    `${cmd} merge ${q(out)}`,
    `${cmd} validate ${q(out)} --config ${q(config)}`,
    '',
  ].join('\n');
  const merge = new Document({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${name}-merge`, labels },
    spec: {
      backoffLimit: 2,
      template: pod({ name: 'merge', command: ['sh', '-c', wait], resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '8Gi' } } }),
    },
  }, { aliasDuplicateObjects: false });
  return [ranks, merge].map((d) => d.toString({ lineWidth: 0 })).join('---\n');
}
