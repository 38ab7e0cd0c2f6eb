/**
 * Which part of a larger job this process is: from flags, else from the array scheduler's environment
 * (Slurm job arrays: SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT; Kubernetes Indexed Jobs:
 * JOB_COMPLETION_INDEX, with the world size from the flag or SHARDLOOM_WORLD_SIZE).
 */
import { ShardloomError } from '../core/errors.js';

export interface RankInfo { rank: number; worldSize: number; from: string }

function int(v: string | number | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ShardloomError('USAGE', `Expected a non-negative integer for ${what} but received "${v}"`);
  return n;
}

export function resolveRank(flags: { rank?: number; worldSize?: number }, env: NodeJS.ProcessEnv): RankInfo {
  let rank = int(flags.rank, '--rank');
  let worldSize = int(flags.worldSize, '--world-size');
  let from = rank !== undefined ? 'flags' : 'default';
  if (rank === undefined && env.SLURM_ARRAY_TASK_ID !== undefined) {
    rank = int(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID')! - (int(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') ?? 0);
    worldSize ??= int(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT');
    from = 'Slurm array';
  } else if (rank === undefined && env.JOB_COMPLETION_INDEX !== undefined) {
    rank = int(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
    from = 'Kubernetes Indexed Job';
  }
  worldSize ??= int(env.SHARDLOOM_WORLD_SIZE, 'SHARDLOOM_WORLD_SIZE');
  rank ??= 0;
  worldSize ??= rank === 0 && from === 'default' ? 1 : undefined;
  if (worldSize === undefined) throw new ShardloomError('USAGE', `rank ${rank} (from the ${from}) needs a world size: pass --world-size N or set SHARDLOOM_WORLD_SIZE`);
  if (worldSize < 1) throw new ShardloomError('USAGE', `Expected a world size of at least 1 but received ${worldSize}`);
  if (rank >= worldSize) throw new ShardloomError('USAGE', `rank ${rank} is not below the world size ${worldSize}`);
  return { rank, worldSize, from };
}
