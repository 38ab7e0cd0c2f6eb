/**
 * Where a shard writer's rows become file bytes. `localSinks` does it in the calling thread: rows → Arrow
 * table → the format's sink (parquet-io.ts), and on close the file's SHA-256 and size. `threadSinks` does
 * the same work on a writer thread (sink-thread.ts), so that Arrow building, Parquet encoding, zstd and
 * hashing never run on the thread that reads, mixes and packs: rows are posted (copied), a write resolves
 * once the thread has at most `ahead` groups queued, and a failure comes back (message and errno code kept)
 * at the next call on that sink. Same bytes either way: the writer thread runs localSinks.
 */
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../core/worker-script.js';
import type { ShardRow } from './arrow-table.js';
import type { ParquetWriteOptions } from './parquet-io.js';
import { sha256File } from './hash.js';

export type ShardFormat = 'parquet' | 'arrow';

export interface RowSink {
  write(rows: ShardRow[]): Promise<void>;
  /** Complete the file; its SHA-256 and size. */
  close(): Promise<{ sha256: string; bytes: number }>;
  /** Stop and remove the file. */
  abort(): Promise<void>;
}

export interface SinkFactory {
  open(path: string, format: ShardFormat, metadata: Record<string, string>, opts: ParquetWriteOptions): Promise<RowSink>;
  /** Stop the factory's thread, if it has one (sinks still open are aborted). */
  close(): Promise<void>;
}

export function localSinks(): SinkFactory {
  return {
    async open(path, format, metadata, opts) {
      // Loaded on first use: with a writer thread, the calling thread never loads Arrow or Parquet code.
      const [{ openShardSink }, { rowsToTable }] = await Promise.all([import('./parquet-io.js'), import('./arrow-table.js')]);
      const sink = await openShardSink(path, format, new Map(Object.entries(metadata)), opts);
      return {
        write: (rows) => sink.write(rowsToTable(rows, metadata)),
        async close() {
          await sink.close();
          return { sha256: await sha256File(path), bytes: (await stat(path)).size };
        },
        abort: () => sink.abort(),
      };
    },
    async close() {},
  };
}

export type SinkRequest =
  | { id: number; op: 'open'; sid: number; path: string; format: ShardFormat; metadata: Record<string, string>; opts: ParquetWriteOptions }
  | { id: number; op: 'write'; sid: number; rows: ShardRow[] }
  | { id: number; op: 'close' | 'abort'; sid: number };
export type SinkReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; message: string; code?: string };

/** An error from the writer thread as the calling thread would have seen it (message and errno code). */
function revive(r: { message: string; code?: string }): Error {
  return Object.assign(new Error(r.message), r.code ? { code: r.code } : {});
}

export function threadSinks(ahead = 2): SinkFactory {
  const worker = new Worker(workerScript('shards/sink-thread.js'));
  worker.unref();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let nextSid = 0;
  let dead: Error | null = null;
  worker.on('message', (m: SinkReply) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if (m.ok) p?.resolve(m.value);
    else p?.reject(revive(m));
  });
  const fail = (e: Error) => {
    dead ??= new Error(`the shard writer thread stopped: ${e.message}`);
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  const call = <T>(req: SinkRequest extends infer R ? (R extends SinkRequest ? Omit<R, 'id'> : never) : never): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ id, ...req } as SinkRequest);
    });
  };
  return {
    async open(path, format, metadata, opts) {
      const sid = nextSid++;
      await call({ op: 'open', sid, path, format, metadata, opts });
      const queued: Promise<void>[] = [];
      let failed: Error | null = null;
      const settleQueue = async () => {
        while (queued.length) await queued.shift();
      };
      return {
        async write(rows) {
          if (failed) throw failed;
          const p = call<void>({ op: 'write', sid, rows });
          p.catch((e: Error) => { failed ??= e; });
          queued.push(p);
          while (queued.length > ahead) await queued.shift();
          if (failed) throw failed;
        },
        async close() {
          await settleQueue();
          return call({ op: 'close', sid });
        },
        async abort() {
          await Promise.allSettled(queued.splice(0));
          await call({ op: 'abort', sid }).catch(() => undefined);
        },
      };
    },
    async close() {
      await worker.terminate();
    },
  };
}
