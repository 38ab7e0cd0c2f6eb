import { messageLine } from '../core/log.js';
import type { CommandModule } from 'yargs';
import { writeFile, rename } from 'node:fs/promises';
import type { Executor } from '../scale/plan.js';
import { cpuCount } from '../core/cpus.js';

interface Args {
  config: string; executor: Executor; 'world-size': number; out?: string; 'output-dir'?: string; 'job-config'?: string;
  cpus?: string; memory?: string; time?: string; partition?: string; parallelism?: number;
  image?: string; volume?: string; 'mount-path'?: string; retries?: number; 'shardloom-cmd'?: string;
  node?: string; 'shardloom-bin'?: string; workdir?: string; 'merge-cpus'?: string; 'merge-memory'?: string; 'merge-time'?: string;
}

export function planCommand(setCode: (c: number) => void): CommandModule<object, Args> {
  return {
    command: 'plan <config>',
    describe: 'Write a Slurm array script or a Kubernetes Indexed Job (plus merge + validate) for a many-machine run',
    builder: (y) =>
      y
        .positional('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML file' })
        .option('executor', { choices: ['slurm', 'k8s'] as const, demandOption: true, describe: 'The scheduler that runs the array' })
        .option('world-size', { type: 'number', demandOption: true, describe: 'Number of ranks (array tasks / completion indexes)' })
        .option('out', { type: 'string', describe: 'Write the plan to this file (default: print it)' })
        .option('output-dir', { type: 'string', describe: 'Where the ranks write their shards (default: output.dir of the config; k8s: a path in the container)' })
        .option('job-config', { type: 'string', describe: 'The config path the jobs use (default: its absolute path; k8s: MOUNT/<file name>)' })
        .option('cpus', { type: 'string', describe: 'CPUs per rank (default: run.cpus of the config, else 8); each rank runs with --cpus set to what it was allocated' })
        .option('memory', { type: 'string', describe: 'Memory per rank, e.g. 32G (default 32G)' })
        .option('time', { type: 'string', describe: 'Time limit per rank, Slurm syntax (default 24:00:00; k8s: the pod deadline)' })
        .option('merge-cpus', { type: 'string', describe: 'CPUs of the merge + validate job (default 2; k8s 1)' })
        .option('merge-memory', { type: 'string', describe: 'Memory of the merge + validate job (default 8G)' })
        .option('merge-time', { type: 'string', describe: 'Time limit of the merge + validate job (default 4:00:00)' })
        .option('partition', { type: 'string', describe: 'Slurm: partition' })
        .option('parallelism', { type: 'number', describe: 'Ranks running at once (default: all)' })
        .option('image', { type: 'string', describe: 'k8s: container image with shardloom (default shardloom:latest)' })
        .option('volume', { type: 'string', describe: 'k8s: PersistentVolumeClaim with config, inputs and output (default shardloom-data)' })
        .option('mount-path', { type: 'string', describe: 'k8s: where the volume is mounted (default /data)' })
        .option('retries', { type: 'number', describe: 'k8s: retries per rank (default 3)' })
        .option('node', { type: 'string', describe: 'Absolute path of the node binary the jobs run (default: the one running plan; k8s: node of the image)' })
        .option('shardloom-bin', { type: 'string', describe: 'Absolute path of an installed shardloom executable, instead of node + dist/cli/main.js' })
        .option('workdir', { type: 'string', describe: 'Working directory of the jobs (default: the output directory; k8s: the mount path)' })
        .option('shardloom-cmd', { type: 'string', describe: 'A shell command prefix that runs shardloom, replacing --node/--shardloom-bin (it must exec the CLI so signals reach it)' })
        .example('$0 plan mix.yaml --executor slurm --world-size 64 --partition cpu --out mix.slurm.sh', 'Then: bash mix.slurm.sh')
        .example('$0 plan mix.yaml --executor k8s --world-size 32 --image registry/shardloom:0.1 --out mix.yaml.k8s', 'Then: kubectl apply -f mix.yaml.k8s'),
    handler: async (a) => {
      // Imported here, not at the top: `shardloom --help` and `--version` must not load the pipeline.
      const [{ loadConfig }, { planJob }] = await Promise.all([import('../config/load.js'), import('../scale/plan.js')]);
      const cfg = loadConfig(a.config);
      const plan = planJob(cfg, {
        executor: a.executor, worldSize: a['world-size'], out: a['output-dir'], config: a['job-config'], command: a['shardloom-cmd'],
        node: a.node, shardloomBin: a['shardloom-bin'], workdir: a.workdir,
        mergeCpus: a['merge-cpus'] === undefined ? undefined : cpuCount(a['merge-cpus'], '--merge-cpus'), mergeMemory: a['merge-memory'], mergeTime: a['merge-time'],
        cpus: a.cpus === undefined ? undefined : cpuCount(a.cpus, '--cpus'), memory: a.memory, time: a.time, partition: a.partition, parallelism: a.parallelism,
        image: a.image, volume: a.volume, mountPath: a['mount-path'], retries: a.retries,
      });
      for (const w of plan.warnings) process.stderr.write(messageLine('warn', `shardloom: warning: ${w}`) + '\n');
      if (a.out) {
        await writeFile(a.out + '.tmp', plan.text, { mode: plan.executor === 'slurm' ? 0o755 : 0o644 });
        await rename(a.out + '.tmp', a.out);
        process.stderr.write(`wrote ${a.out}; start it with: ${plan.submit(a.out)}\n`);
      } else {
        process.stdout.write(plan.text);
      }
      setCode(0);
    },
  };
}
