/**
 * Finding ffmpeg and ffprobe: `FFMPEG_PATH` / `FFPROBE_PATH`, then `PATH` (Debian's ffmpeg has the CUDA
 * decoders and scale_cuda), then the static binaries of @ffmpeg-installer / @ffprobe-installer, so a fresh
 * machine works. npm 11 does not run those packages' install scripts, which would `chmod +x` the binary:
 * we do it at first use.
 */
import { accessSync, chmodSync, constants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { ShardloomError } from '../core/errors.js';

export interface FoundBinary { path: string; from: 'env' | 'PATH' | 'bundled' }

const ENV = { ffmpeg: 'FFMPEG_PATH', ffprobe: 'FFPROBE_PATH' } as const;
const BUNDLED = { ffmpeg: '@ffmpeg-installer', ffprobe: '@ffprobe-installer' } as const;

function executable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function bundled(name: 'ffmpeg' | 'ffprobe'): string | null {
  const require = createRequire(import.meta.url);
  const pkg = `${BUNDLED[name]}/${process.platform}-${process.arch}`;
  let dir: string;
  try {
    dir = join(require.resolve(`${pkg}/package.json`), '..');
  } catch {
    return null;
  }
  const bin = join(dir, process.platform === 'win32' ? `${name}.exe` : name);
  if (!existsSync(bin)) return null;
  if (!executable(bin)) {
    try {
      chmodSync(bin, 0o755);
    } catch {
      return null;
    }
  }
  return bin;
}

export function findBinary(name: 'ffmpeg' | 'ffprobe', env: NodeJS.ProcessEnv = process.env): FoundBinary {
  const fromEnv = env[ENV[name]];
  if (fromEnv) {
    if (!executable(fromEnv)) throw new ShardloomError('COMPUTE_BACKEND', `${ENV[name]}=${fromEnv} is not an executable file`);
    return { path: fromEnv, from: 'env' };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return { path: join(dir, name), from: 'PATH' };
  }
  const b = bundled(name);
  if (b) return { path: b, from: 'bundled' };
  throw new ShardloomError('COMPUTE_BACKEND', `${name} not found: set ${ENV[name]}, put ${name} on PATH (apt-get install ffmpeg), or install ${BUNDLED[name]}/${name}`);
}
