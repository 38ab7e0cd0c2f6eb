/**
 * The CPUs this process may use — not the node's. A Slurm task or a Kubernetes pod is a slice of a large
 * machine; pools sized from `os.cpus()` there run many more threads than the slice has CPUs, and under a
 * cgroup quota the kernel throttles all of them. Every pool of a run is sized from this one budget.
 *
 * Order: an explicit setting (`--cpus`, else `run.cpus`) wins. Else the smaller of the available parallelism
 * (the sched affinity that taskset, cpusets and Slurm's task binding set) and the cgroup CPU quota rounded
 * up — cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, read along the process's own
 * cgroup (/proc/self/cgroup) up to the root, the tightest level winning. At least 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ShardloomError, describeValue } from './errors.js';

export interface CpuBudget {
  /** Whole CPUs, at least 1. */
  cpus: number;
  /** For people: "2 CPUs: cgroup quota 200000/100000 (node has 16)", "4 CPUs: --cpus". */
  why: string;
  /** `why` without the count, for a line that states the count itself: "cgroup quota 200000/100000; node has 16". */
  reason: string;
}

/** The machine as this process sees it; tests replace the paths with a temporary tree of fake cgroup files. */
export interface CpuEnv {
  availableParallelism: () => number;
  nodeCpus: () => number;
  /** Default /proc/self/cgroup. */
  procSelfCgroup: string;
  /** Where the cgroup file systems are mounted; default /sys/fs/cgroup. */
  cgroupRoot: string;
}

const SYSTEM: CpuEnv = {
  availableParallelism,
  nodeCpus: () => cpus().length,
  procSelfCgroup: '/proc/self/cgroup',
  cgroupRoot: '/sys/fs/cgroup',
};

export interface CpuBudgetOptions {
  /** An explicit count and where it came from (`--cpus`, `run.cpus`); it wins over what is detected. */
  setting?: { cpus: unknown; from: string };
  env?: Partial<CpuEnv>;
}

export function cpuBudget(opts: CpuBudgetOptions = {}): CpuBudget {
  if (opts.setting) {
    const n = cpuCount(opts.setting.cpus, opts.setting.from);
    return budget(n, opts.setting.from);
  }
  const env = { ...SYSTEM, ...opts.env };
  const node = env.nodeCpus();
  const parallel = Math.max(1, env.availableParallelism());
  const quota = cgroupQuota(env);
  const fromQuota = quota ? Math.max(1, Math.ceil(quota.quota / quota.period)) : Infinity;
  if (quota && fromQuota <= parallel) {
    const exact = quota.quota / quota.period;
    const rounded = Number.isInteger(exact) ? '' : ` = ${+exact.toFixed(2)} CPUs, rounded up`;
    return budget(fromQuota, `cgroup quota ${quota.quota}/${quota.period}${rounded}`, node);
  }
  if (parallel < node) return budget(parallel, 'sched affinity', node);
  return budget(parallel, 'whole node: no affinity or cgroup limit');
}

/** `value` as a CPU count (a whole number ≥ 1; digits in a string are accepted, as a command line gives them). */
export function cpuCount(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1) return n;
  throw new ShardloomError('USAGE', `Expected ${what} to be a whole number ≥ 1 but received ${describeValue(value)}`);
}

function budget(n: number, head: string, node?: number): CpuBudget {
  const count = `${n} CPU${n === 1 ? '' : 's'}`;
  return node === undefined
    ? { cpus: n, why: `${count}: ${head}`, reason: head }
    : { cpus: n, why: `${count}: ${head} (node has ${node})`, reason: `${head}; node has ${node}` };
}

export interface CgroupQuota { quota: number; period: number; file: string }

/** The tightest CPU quota on the process's cgroup and its ancestors, or null when there is none. */
export function cgroupQuota(env: Pick<CpuEnv, 'procSelfCgroup' | 'cgroupRoot'> = SYSTEM): CgroupQuota | null {
  const lines = readText(env.procSelfCgroup)?.split('\n').filter(Boolean).map((l) => l.split(':')) ?? [];
  // "0::/path" is the v2 hierarchy; the cpu controller is on it only when v2 is mounted at the root (not hybrid).
  if (existsSync(join(env.cgroupRoot, 'cgroup.controllers'))) {
    const path = lines.find((f) => f[0] === '0' && f[1] === '')?.slice(2).join(':') ?? '/';
    return tightest(levels(env.cgroupRoot, path).map(v2Quota));
  }
  const v1 = lines.find((f) => f.length >= 3 && f[1].split(',').includes('cpu'));
  const mount = ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'].map((d) => join(env.cgroupRoot, d)).find(existsSync);
  if (!mount) return null;
  return tightest(levels(mount, v1?.slice(2).join(':') ?? '/').map(v1Quota));
}

/**
 * The process's cgroup directory and its ancestors up to the mount. In a container without its own cgroup
 * namespace /proc/self/cgroup names a host path that is not under the mount: the mount's root is then the
 * container's cgroup, so only it is read.
 */
function levels(mount: string, path: string): string[] {
  const own = join(mount, path);
  if (relative(mount, own).startsWith('..') || !existsSync(own)) return [mount];
  const out = [own];
  for (let d = own; relative(mount, d) !== ''; ) out.push((d = dirname(d)));
  return out;
}

/** cgroup v2 cpu.max: "200000 100000", or "max 100000" for no limit. */
function v2Quota(dir: string): CgroupQuota | null {
  const file = join(dir, 'cpu.max');
  const [q, p] = readText(file)?.trim().split(/\s+/) ?? [];
  return quotaOf(q, p ?? '100000', file);
}

/** cgroup v1: cpu.cfs_quota_us (-1 for no limit) over cpu.cfs_period_us. */
function v1Quota(dir: string): CgroupQuota | null {
  const file = join(dir, 'cpu.cfs_quota_us');
  return quotaOf(readText(file)?.trim(), readText(join(dir, 'cpu.cfs_period_us'))?.trim(), file);
}

function quotaOf(q: string | undefined, p: string | undefined, file: string): CgroupQuota | null {
  const quota = Number(q);
  const period = Number(p);
  return /^\d+$/.test(q ?? '') && /^\d+$/.test(p ?? '') && quota > 0 && period > 0 ? { quota, period, file } : null;
}

function tightest(quotas: (CgroupQuota | null)[]): CgroupQuota | null {
  return quotas.reduce<CgroupQuota | null>((best, q) => (q && (!best || q.quota / q.period < best.quota / best.period) ? q : best), null);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // absent (not Linux, no such controller) or unreadable: no limit known there
  }
}
