import { describe, expect, test } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { cpuBudget, cpuCount, cgroupQuota, type CpuEnv } from '../../src/core/cpus.js';
import { ShardloomError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('shardloom-cpus-');
let n = 0;

/** A fake machine: /proc/self/cgroup, a cgroup tree of `files` (path → content) and the CPU counts Node reports. */
function machine(procSelfCgroup: string | null, files: Record<string, string>, cpus: { parallel?: number; node?: number } = {}): Partial<CpuEnv> {
  const dir = join(root, `m${n++}`);
  const cg = join(dir, 'sys/fs/cgroup');
  mkdirSync(cg, { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cg, p)), { recursive: true });
    writeFileSync(join(cg, p), text);
  }
  const proc = join(dir, 'proc/self/cgroup');
  mkdirSync(dirname(proc), { recursive: true });
  if (procSelfCgroup !== null) writeFileSync(proc, procSelfCgroup);
  return { procSelfCgroup: proc, cgroupRoot: cg, availableParallelism: () => cpus.parallel ?? 16, nodeCpus: () => cpus.node ?? 16 };
}

const V2 = 'cgroup.controllers';

describe('cpuBudget: cgroup v2', () => {
  test('the quota of the process\'s own cgroup (from /proc/self/cgroup), with the node for scale', () => {
    const env = machine('0::/kubepods/pod1/c1\n', { [V2]: 'cpu memory', 'kubepods/pod1/c1/cpu.max': '200000 100000\n', 'kubepods/cpu.max': 'max 100000\n' });
    expect(cpuBudget({ env })).toEqual({ cpus: 2, why: '2 CPUs: cgroup quota 200000/100000 (node has 16)', reason: 'cgroup quota 200000/100000; node has 16' });
  });

  test('an ancestor\'s tighter quota wins over the cgroup\'s own', () => {
    const env = machine('0::/a/b\n', { [V2]: '', 'a/b/cpu.max': '800000 100000', 'a/cpu.max': '300000 100000' });
    expect(cpuBudget({ env }).cpus).toBe(3);
    expect(cgroupQuota(env as CpuEnv)).toMatchObject({ quota: 300000, period: 100000, file: expect.stringMatching(/\/a\/cpu\.max$/) });
  });

  test('"max" is no limit: the available parallelism decides', () => {
    const env = machine('0::/\n', { [V2]: '', 'cpu.max': 'max 100000\n' });
    expect(cpuBudget({ env })).toMatchObject({ cpus: 16, why: '16 CPUs: whole node: no affinity or cgroup limit' });
    expect(cgroupQuota(env as CpuEnv)).toBeNull();
  });

  test('a fractional quota rounds up (1.5 → 2), a tiny one to at least 1', () => {
    const half = machine('0::/\n', { [V2]: '', 'cpu.max': '150000 100000' });
    expect(cpuBudget({ env: half })).toMatchObject({ cpus: 2, why: '2 CPUs: cgroup quota 150000/100000 = 1.5 CPUs, rounded up (node has 16)' });
    const tiny = machine('0::/\n', { [V2]: '', 'cpu.max': '10000 100000' });
    expect(cpuBudget({ env: tiny }).cpus).toBe(1);
    expect(cpuBudget({ env: tiny }).why).toMatch(/^1 CPU: cgroup quota 10000\/100000 = 0\.1 CPUs, rounded up/);
  });

  test('a container without its own cgroup namespace (host path in /proc/self/cgroup) reads the mount root', () => {
    const env = machine('0::/system.slice/docker-abc.scope\n', { [V2]: '', 'cpu.max': '400000 100000' });
    expect(cpuBudget({ env }).cpus).toBe(4);
  });
});

describe('cpuBudget: cgroup v1', () => {
  test('cpu.cfs_quota_us / cpu.cfs_period_us of the cpu controller\'s cgroup', () => {
    const env = machine('5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n', {
      'cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '250000\n', 'cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
      'cpu,cpuacct/cpu.cfs_quota_us': '-1\n', 'cpu,cpuacct/cpu.cfs_period_us': '100000\n',
      'unified/cgroup.controllers': '', // hybrid: v2 is mounted, but not at the root and without the cpu controller
    }, { node: 64, parallel: 64 });
    expect(cpuBudget({ env })).toMatchObject({ cpus: 3, why: '3 CPUs: cgroup quota 250000/100000 = 2.5 CPUs, rounded up (node has 64)' });
  });

  test('-1 is no limit', () => {
    const env = machine('4:cpu,cpuacct:/\n', { 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }, { parallel: 8, node: 8 });
    expect(cpuBudget({ env })).toMatchObject({ cpus: 8, why: '8 CPUs: whole node: no affinity or cgroup limit' });
  });
});

describe('cpuBudget: affinity, settings, nothing to read', () => {
  test('sched affinity below the node (taskset, Slurm binding) decides when it is below the quota', () => {
    const env = machine('0::/\n', { [V2]: '', 'cpu.max': '400000 100000' }, { parallel: 2, node: 16 });
    expect(cpuBudget({ env })).toEqual({ cpus: 2, why: '2 CPUs: sched affinity (node has 16)', reason: 'sched affinity; node has 16' });
    const noCgroup = machine(null, {}, { parallel: 3, node: 16 });
    expect(cpuBudget({ env: noCgroup }).why).toBe('3 CPUs: sched affinity (node has 16)');
  });

  test('an explicit setting wins over quota and affinity, and says where it came from', () => {
    const env = machine('0::/\n', { [V2]: '', 'cpu.max': '200000 100000' }, { parallel: 2 });
    expect(cpuBudget({ setting: { cpus: 4, from: '--cpus' }, env })).toEqual({ cpus: 4, why: '4 CPUs: --cpus', reason: '--cpus' });
    expect(cpuBudget({ setting: { cpus: 1, from: 'run.cpus' }, env }).why).toBe('1 CPU: run.cpus');
  });

  test('a bad setting is a usage error in sharp\'s words', () => {
    for (const [v, shown] of [[0, '0 of type number'], ['abc', '"abc" of type string'], [1.5, '1.5 of type number'], ['', '"" of type string'], [-2, '-2 of type number']] as const) {
      let err: unknown;
      try {
        cpuBudget({ setting: { cpus: v, from: '--cpus' } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ShardloomError);
      expect(err).toMatchObject({ code: 'USAGE', message: `Expected --cpus to be a whole number ≥ 1 but received ${shown}` });
    }
    expect(cpuCount('12', '--cpus')).toBe(12);
    expect(cpuCount(3, 'run.cpus')).toBe(3);
  });

  test('on this machine: a whole number ≥ 1, never above the available parallelism', () => {
    const b = cpuBudget();
    expect(Number.isInteger(b.cpus) && b.cpus >= 1).toBe(true);
    expect(b.cpus).toBeLessThanOrEqual(availableParallelism());
    expect(b.why).toMatch(/^\d+ CPUs?: /);
  });
});
