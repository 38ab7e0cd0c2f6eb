/**
 * plan: write the job files for a many-machine run on an existing scheduler — a Slurm job array or a
 * Kubernetes Indexed Job — plus the merge + validate step that follows it. We generate files a user
 * reads and runs; we never schedule anything ourselves.
 */
import { basename, dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /**
   * How the jobs call shardloom, as a shell command prefix (overrides `node` and `shardloomBin`). Default Slurm:
   * `NODE ABSOLUTE/dist/cli/main.js` of this installation; Kubernetes: `node /opt/shardloom/dist/cli/main.js` (the Dockerfile's).
   */
  command?: string;
  /** The node binary the jobs run, by absolute path (default: the one running `plan`, process.execPath; k8s: `node` of the image). */
  node?: string;
  /** An installed shardloom executable, by absolute path, instead of node + dist/cli/main.js. */
  shardloomBin?: string;
  /** The jobs' working directory (default: the output directory; k8s: the mount path). */
  workdir?: string;
  /** The merge + validate job: CPUs (default 2), memory (default 8G), time limit (default 4:00:00). */
  mergeCpus?: number;
  mergeMemory?: string;
  mergeTime?: string;
  /**
   * CPUs per rank (default: run.cpus of the config, else 8). The allocation sets it and each rank gets it as
   * `--cpus` (Slurm: $SLURM_CPUS_PER_TASK; Kubernetes: the CPU request), so its pools fit what it was given.
   */
  cpus?: number;
  /** Memory per rank, e.g. 32G (default 32G; written as 32Gi for Kubernetes). */
  memory?: string;
  /** Time limit per rank, Slurm syntax (default 24:00:00); Kubernetes: the pod's activeDeadlineSeconds. */
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
  /** What the user should know before submitting (printed by the CLI on stderr), e.g. inputs the pods cannot see. */
  warnings: string[];
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
  if (opts.mergeCpus !== undefined && !(Number.isInteger(opts.mergeCpus) && opts.mergeCpus >= 1)) throw new ShardloomError('USAGE', `Expected --merge-cpus to be a whole number ≥ 1 but received ${opts.mergeCpus}`);
  for (const [flag, p] of [['--node', opts.node], ['--shardloom-bin', opts.shardloomBin], ['--workdir', opts.workdir]] as const) {
    if (p !== undefined && !isAbsolute(p)) throw new ShardloomError('USAGE', `Expected ${flag} to be an absolute path (the jobs run elsewhere) but received "${p}"`);
  }
  const out = opts.out ?? cfg.output.dir;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(out)) {
    throw new ShardloomError('USAGE', `A plan needs a shared directory for its output, not "${out}": the merge and validate jobs read the ranks' folders from a filesystem. Give a shared (or mounted) directory with --output-dir; to put the result in a bucket, run each rank with --out s3://… yourself and sync it for merge, or copy the merged output afterwards`);
  }
  if (opts.executor === 'slurm') return { executor: 'slurm', text: slurmScript(cfg, opts), warnings: [], fileName: `${jobName(cfg.name)}.slurm.sh`, submit: (f) => `bash ${f}` };
  if (opts.executor === 'k8s') {
    const warnings: string[] = [];
    return { executor: 'k8s', text: k8sManifest(cfg, opts, warnings), warnings, fileName: `${jobName(cfg.name)}.k8s.yaml`, submit: (f) => `kubectl apply -f ${f}` };
  }
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

/** Slurm time syntax (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S) → seconds. */
export function slurmSeconds(time: string, flag: string): number {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time);
  if (!m) throw new ShardloomError('USAGE', `Expected a ${flag} time limit like 24:00:00, 90 or 2-00:00:00 but received "${time}"`);
  const [d, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
  if (d !== undefined) return d * 86400 + a! * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (c !== undefined) return a! * 3600 + b! * 60 + c;
  if (b !== undefined) return a! * 60 + b;
  return a! * 60;
}

/** This installation's CLI entry point: dist/cli/main.js next to the src/ or dist/ this file is in. */
function ownMainJs(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
}

/**
 * The command prefix of the jobs: node and the CLI by absolute path, never `npx` (which would sit between
 * the scheduler's SIGTERM and shardloom, and outside a project asks the registry for the package).
 */
function commandOf(o: PlanOptions, inContainer: boolean): string {
  if (o.command) return o.command;
  if (o.shardloomBin) return shellQuote(o.shardloomBin);
  if (inContainer) return `${o.node ? shellQuote(o.node) : 'node'} /opt/shardloom/dist/cli/main.js`;
  return `${shellQuote(o.node ?? process.execPath)} ${shellQuote(resolve(ownMainJs()))}`;
}

function slurmScript(cfg: ResolvedConfig, o: PlanOptions): string {
  const n = o.worldSize;
  const config = o.config ?? cfg.configPath;
  const out = resolve(o.out ?? outputDirOf(cfg));
  const jobs = join(out, 'slurm');
  if (/\s/.test(jobs) || /\s/.test(o.partition ?? '')) throw new ShardloomError('USAGE', `Slurm cannot write logs to a path with spaces (${jobs}); choose --output-dir (and --partition) without spaces`);
  const time = o.time ?? '24:00:00';
  const mergeTime = o.mergeTime ?? '4:00:00';
  slurmSeconds(time, 'Slurm');
  slurmSeconds(mergeTime, '--merge-time');
  const mem = memoryOf(o.memory ?? '32G').slurm;
  const mergeMem = memoryOf(o.mergeMemory ?? '8G').slurm;
  const cmd = commandOf(o, false);
  const workdir = o.workdir ?? out;
  if (/\s/.test(workdir)) throw new ShardloomError('USAGE', `Slurm cannot start jobs in a path with spaces (${workdir}); choose --workdir without spaces`);
  const name = jobName(cfg.name);
  const q = shellQuote;
  const throttle = o.parallelism && o.parallelism < n ? `%${o.parallelism}` : '';
  const cpus = cpusOf(cfg, o);
  const partition = o.partition ? [`#SBATCH --partition=${o.partition}`] : [];
  return `#!/usr/bin/env bash
# shardloom on Slurm: "${cfg.name}" (config ${cfg.configHash}) as ${n} ranks, then merge + validate.
# Generated by \`shardloom plan\`; read it, edit it, then run it on a login node:  bash THIS_FILE
#   1. writes two batch scripts (ranks.sbatch, merge.sbatch) and resubmit.sh to ${jobs}/
#   2. submits ranks.sbatch as a job array of ${n} tasks: task K runs rank K of ${n} into ${out}/rank-KKKKK/
#   3. submits merge.sbatch, which starts only when every task succeeded (afterok): it runs
#      \`shardloom merge\` and \`shardloom validate\` on ${out}
# A task that failed, was cancelled or hit its time limit can be run again on its own — it keeps its
# finished shards — with a new merge after it:
#   bash ${jobs}/resubmit.sh K [K …]
# The ranks run \`exec ${cmd} run …\`:
# shardloom is the batch step itself, so Slurm's SIGTERM (scancel, preemption, requeue, and --signal 60 s
# before the time limit) reaches it; it stops within seconds, keeps its finished shards and exits 143; with
# --requeue and --resume a requeued task continues where it stopped.
# Logs: ${jobs}/logs/
set -euo pipefail

mkdir -p ${q(jobs)}/logs ${q(workdir)}

cat > ${q(jobs)}/ranks.sbatch <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --job-name=${name}
#SBATCH --array=0-${n - 1}${throttle}
#SBATCH --cpus-per-task=${cpus}
#SBATCH --mem=${mem}
#SBATCH --time=${time}
${partition.map((l) => l + '\n').join('')}#SBATCH --chdir=${workdir}
#SBATCH --output=${jobs}/logs/%x-%A_%a.out
#SBATCH --open-mode=append
#SBATCH --requeue
#SBATCH --signal=B:TERM@60
set -euo pipefail
# exec: shardloom replaces this shell, so the SIGTERM of scancel, preemption, requeue and --signal (60 s before
# the time limit) reaches it: it keeps its finished shards and exits 143 within seconds.
# --resume: a requeued or resubmitted task keeps its verified shards and redoes only the rest.
# --cpus: pools are sized to the task's CPUs (--cpus-per-task; Slurm sets SLURM_CPUS_PER_TASK from it), not to the node's.
exec ${cmd} run ${q(config)} --rank "$SLURM_ARRAY_TASK_ID" --world-size ${n} --cpus "\${SLURM_CPUS_PER_TASK:-${cpus}}" --out ${q(out)} --resume
SBATCH

cat > ${q(jobs)}/merge.sbatch <<'SBATCH'
#!/usr/bin/env bash
#SBATCH --job-name=${name}-merge
#SBATCH --cpus-per-task=${o.mergeCpus ?? 2}
#SBATCH --mem=${mergeMem}
#SBATCH --time=${mergeTime}
${partition.map((l) => l + '\n').join('')}#SBATCH --chdir=${workdir}
#SBATCH --output=${jobs}/logs/%x-%j.out
set -euo pipefail
${cmd} merge ${q(out)}
exec ${cmd} validate ${q(out)} --config ${q(config)}
SBATCH

cat > ${q(jobs)}/resubmit.sh <<'SH'
#!/usr/bin/env bash
# Run array tasks again (they resume), then merge + validate once they succeeded: bash resubmit.sh K [K …]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bash $0 K [K …]  (array task ids)" >&2; exit 2; }
tasks=$(IFS=,; echo "$*")
job=$(sbatch --parsable --array="$tasks" ${q(jobs)}/ranks.sbatch)
job=\${job%%;*}
# The merge also waits for tasks of this run still pending or running (afterany: merge itself refuses a rank
# that did not finish).
dep="afterok:$job"
for j in $(squeue -h -n ${name} -o %A 2>/dev/null | sort -u); do [ "$j" = "$job" ] || dep="$dep,afterany:$j"; done
merge=$(sbatch --parsable --dependency="$dep" --kill-on-invalid-dep=yes ${q(jobs)}/merge.sbatch)
merge=\${merge%%;*}
echo "resubmitted tasks $tasks: job $job; merge + validate: job $merge"
SH

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

/** Whether a container path lies on the volume mounted at `mount`. */
function onVolume(p: string, mount: string): boolean {
  return (posix.normalize(p) + '/').startsWith(posix.normalize(mount).replace(/\/?$/, '/'));
}

/** The local paths a config reads (globs, image stores, manifests, tokenizer), as written, relative to the config file. */
function inputPaths(cfg: ResolvedConfig): string[] {
  const paths: string[] = [];
  for (const src of cfg.sources as unknown as { paths?: string[]; imageStore?: { type?: string; path?: string; manifest?: string } }[]) {
    paths.push(...(src.paths ?? []));
    if (src.imageStore && src.imageStore.type !== 'http') paths.push(...[src.imageStore.path, src.imageStore.manifest].filter((p): p is string => !!p));
  }
  if (cfg.tokenizer.path) paths.push(cfg.tokenizer.path);
  return [...new Set(paths)].filter((p) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(p)); // URLs are not on any volume
}

function k8sManifest(cfg: ResolvedConfig, o: PlanOptions, warnings: string[]): string {
  const n = o.worldSize;
  const name = jobName(cfg.name);
  const mount = o.mountPath ?? '/data';
  const config = o.config ?? posix.join(mount, basename(cfg.configPath));
  // output.dir is relative to the config file, so in the container it is relative to where the config is.
  const fromConfig = isAbsolute(cfg.output.dir) ? cfg.output.dir : posix.join(posix.dirname(config), cfg.output.dir);
  // An output.dir that leaves the volume (e.g. ../out) would be lost with the pod: stay on the volume.
  const escapes = !o.out && !(fromConfig + '/').startsWith(mount.replace(/\/?$/, '/'));
  const out = o.out ?? (escapes ? posix.join(mount, 'out', name.slice('shardloom-'.length)) : fromConfig);
  const cmd = commandOf(o, true);
  const mem = memoryOf(o.memory ?? '32G').k8s;
  const mergeMem = memoryOf(o.mergeMemory ?? '8G').k8s;
  const rankSeconds = slurmSeconds(o.time ?? '24:00:00', '--time');
  const mergeSeconds = slurmSeconds(o.mergeTime ?? '4:00:00', '--merge-time');
  const retries = o.retries ?? 3;
  const parallelism = Math.min(n, o.parallelism ?? n);
  const workdir = o.workdir ?? mount;
  const q = shellQuote;
  // Pods see only the volume (and the image): an input or output elsewhere is not there at run time.
  const volumeName = o.volume ?? 'shardloom-data';
  const configDir = posix.dirname(config);
  if (!onVolume(config, mount)) warnings.push(`the config ${config} is not on the volume ${volumeName} mounted at ${mount}; the pods cannot read it unless the image holds it`);
  for (const p of inputPaths(cfg)) {
    const inPod = posix.isAbsolute(p) ? p : posix.join(configDir, p);
    if (!onVolume(inPod, mount)) warnings.push(`input ${p} is ${inPod} in the pods, outside the volume ${volumeName} mounted at ${mount}; put it on the volume or change the path`);
  }
  if (o.out && !onVolume(o.out, mount)) warnings.push(`--output-dir ${o.out} is outside the volume ${volumeName} mounted at ${mount}; the shards would be lost with the pods`);
  const labels = { 'app.kubernetes.io/name': 'shardloom', 'shardloom/run': name.slice('shardloom-'.length), 'shardloom/config-hash': cfg.configHash };
  const pod = (container: Record<string, unknown>, podSpec: Record<string, unknown>) => ({
    metadata: { labels },
    spec: {
      ...podSpec,
      restartPolicy: 'Never',
      containers: [{ image: o.image ?? 'shardloom:latest', workingDir: workdir, ...container, volumeMounts: [{ name: 'data', mountPath: mount }] }],
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
      parallelism,
      // Retries count per rank (Kubernetes ≥ 1.29), so one bad rank cannot use up the others' retries.
      backoffLimitPerIndex: retries,
      podFailurePolicy: failurePolicy('rank'),
      template: pod({
        name: 'rank',
        // exec: shardloom replaces the shell and is PID 1, so the kubelet's SIGTERM reaches it (graceful stop, exit 143).
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
      }, { activeDeadlineSeconds: rankSeconds, terminationGracePeriodSeconds: 120 }),
    },
  }, { aliasDuplicateObjects: false });
  ranks.commentBefore = [
    ` shardloom on Kubernetes: "${cfg.name}" (config ${cfg.configHash}) as ${n} ranks, then merge + validate.`,
    ' Generated by `shardloom plan`; read it, edit it, then:  kubectl apply -f THIS_FILE',
    ` Needs: the image (Dockerfile of the shardloom repository; ${o.image ?? 'shardloom:latest'} here) and the PersistentVolumeClaim`,
    ` ${volumeName}, mounted at ${mount} in every pod. The pods run on any nodes at once, so the claim must be`,
    ' ReadWriteMany (NFS, CephFS, EFS, Filestore, Azure Files …); a ReadWriteOnce claim works only if all pods land on one node.',
    ` It must hold the config at ${config} and the inputs at the paths it names (relative to the config file);`,
    ` ranks write ${out}/rank-00000/ … rank-${rankDir(n - 1)}/ on it (nothing outside ${mount} outlives a pod).`,
    ` Exit 2 (config or usage error) fails the whole Job at once; evictions and preemption (DisruptionTarget) are`,
    ` retried without counting against the ${retries} retries per rank; a stopped pod resumes (--resume).`,
    ...(escapes ? [` (output.dir ${cfg.output.dir} of the config leaves the volume, so the output goes to ${out}; --output-dir chooses.)`] : []),
    ` Job 1, ${name}-ranks: an Indexed Job; pod K runs rank K of ${n} (K = $JOB_COMPLETION_INDEX).`,
    ` Job 2, ${name}-merge: waits until all ${n} ranks wrote a complete index.json, then merges and validates;`,
    `  it gives up after ${mergeDeadline(rankSeconds, mergeSeconds, n, parallelism, retries)} s (activeDeadlineSeconds: the ranks' time limit per wave of ${parallelism}, with retries, plus the merge's).`,
    ` If the rank Job fails for good, delete the merge Job (kubectl delete job ${name}-merge), fix, and apply again:`,
    ' finished ranks are kept (--resume).',
  ].join('\n');
  const deadline = mergeDeadline(rankSeconds, mergeSeconds, n, parallelism, retries);
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
      // The whole Job, wait included, ends by this deadline: no pod polls forever for ranks that failed for good.
      activeDeadlineSeconds: deadline,
      podFailurePolicy: failurePolicy('merge', [1, 2]),
      template: pod({
        name: 'merge', command: ['sh', '-c', wait],
        // Merge reads only JSON; validate streams the shards: a small request suffices.
        resources: { requests: { cpu: String(o.mergeCpus ?? 1), memory: mergeMem }, limits: { memory: mergeMem } },
      }, { terminationGracePeriodSeconds: 30 }),
    },
  }, { aliasDuplicateObjects: false });
  return [ranks, merge].map((d) => d.toString({ lineWidth: 0 })).join('---\n');
}

/**
 * Exit 2 is a config or usage error (1 for the merge: validation failed): every retry would fail the same way,
 * so the Job fails at once. A pod stopped by an eviction, preemption or node drain (condition DisruptionTarget)
 * is retried without counting against the retries: it resumes.
 */
function failurePolicy(container: string, codes: number[] = [2]) {
  return {
    rules: [
      { action: 'FailJob', onExitCodes: { containerName: container, operator: 'In', values: codes } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
    ],
  };
}

/** How long the merge Job may take, waiting included: every wave of ranks at its time limit, each retried, then the merge. */
function mergeDeadline(rankSeconds: number, mergeSeconds: number, n: number, parallelism: number, retries: number): number {
  return Math.ceil(n / parallelism) * rankSeconds * (retries + 1) + mergeSeconds;
}
