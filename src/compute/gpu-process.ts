/**
 * One GPU worker process (python/shardloom_gpu_worker.py) and its pipe: the framing of
 * docs/gpu-protocol.md (a little-endian u32 header length, a JSON header, then the blobs the header lists),
 * requests answered in order, a deadline per request. A worker that exits, or misses a deadline (it is then
 * killed), fails every request still waiting with a `WorkerGone` naming why and the end of its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/log.js';

export interface Frame { header: Record<string, unknown>; blobs: Buffer[] }

export class WorkerGone extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerGone';
  }
}

/** The worker script shipped with the package (python/ next to dist/ and src/). */
export function workerScriptPath(): string {
  const p = fileURLToPath(new URL('../../python/shardloom_gpu_worker.py', import.meta.url));
  if (!existsSync(p)) throw new Error(`the GPU worker script is missing: ${p}`);
  return p;
}

export function encodeFrame(header: Record<string, unknown>, blobs: readonly Uint8Array[] = []): Buffer[] {
  const json = Buffer.from(JSON.stringify({ ...header, blobs: blobs.map((b) => b.byteLength) }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  return [len, json, ...blobs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))];
}

/** Frames out of a byte stream, whatever the chunking. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private header: { value: Record<string, unknown>; need: number; at: number } | null = null;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.size < 4) break;
        const h = this.peek(4).readUInt32LE(0);
        if (this.size < 4 + h) break;
        const bytes = this.take(4 + h).subarray(4);
        const value = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
        const lens = Array.isArray(value.blobs) ? (value.blobs as number[]) : [];
        this.header = { value, need: lens.reduce((a, b) => a + b, 0), at: 0 };
      }
      if (this.size < this.header.need) break;
      const body = this.take(this.header.need);
      const lens = Array.isArray(this.header.value.blobs) ? (this.header.value.blobs as number[]) : [];
      const blobs: Buffer[] = [];
      let at = 0;
      for (const n of lens) { blobs.push(body.subarray(at, at + n)); at += n; }
      out.push({ header: this.header.value, blobs });
      this.header = null;
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.size -= n;
    return out;
  }
}

export interface GpuProcessOptions {
  python: string;
  device: string;
  /** CPU threads the worker may use (its CPU-side decode / encode pool). */
  threads?: number;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export class GpuProcess {
  private readonly child: ChildProcess;
  private readonly reader = new FrameReader();
  private readonly waiting: { resolve: (f: Frame) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }[] = [];
  private stderrTail = '';
  private gone: WorkerGone | null = null;

  constructor(opts: GpuProcessOptions) {
    const args = ['-u', workerScriptPath(), '--device', opts.device, ...(opts.threads ? ['--threads', String(opts.threads)] : [])];
    this.child = spawn(opts.python, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    this.child.stdout!.on('data', (c: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(c);
      } catch (e) {
        return this.fail(`sent a message that is not the protocol (${(e as Error).message})`);
      }
      for (const f of frames) {
        const w = this.waiting.shift();
        if (!w) return this.fail('answered a request that was not asked');
        clearTimeout(w.timer);
        w.resolve(f);
      }
    });
    this.child.stderr!.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) opts.log.debug(`gpu worker: ${line.trim()}`);
    });
    this.child.stdin!.on('error', () => undefined); // a dead worker: reported by 'exit'
    this.child.on('error', (e) => this.fail(`could not start ${opts.python}: ${e.message}`));
    this.child.on('exit', (code, signal) => this.fail(signal ? `was killed (${signal})` : `exited with code ${code}`));
  }

  /** Why it is gone, or null while it runs. */
  get failure(): WorkerGone | null {
    return this.gone;
  }

  private fail(why: string): void {
    if (!this.gone) {
      // Its last line of stderr says why (a traceback's exception, a fault hook), not its start-up lines.
      const tail = this.stderrTail.trim().split('\n').pop()?.trim() ?? '';
      this.gone = new WorkerGone(`the GPU worker ${why}${tail ? `; its last words: ${tail}` : ''}`);
    }
    for (const w of this.waiting.splice(0)) { clearTimeout(w.timer); w.reject(this.gone); }
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  request(header: Record<string, unknown>, blobs: readonly Uint8Array[], timeoutMs: number): Promise<Frame> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => {
      const w: (typeof this.waiting)[number] = { resolve, reject };
      w.timer = setTimeout(() => this.fail(`did not answer within ${Math.round(timeoutMs / 1000)} s (hung; killed)`), timeoutMs);
      this.waiting.push(w);
      for (const part of encodeFrame(header, blobs)) this.child.stdin!.write(part);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
