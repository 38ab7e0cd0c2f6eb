/**
 * The shard writer thread (sinks.ts starts it): runs `localSinks` for the calling thread — Arrow tables,
 * Parquet/Arrow encoding, file writes and hashing — one request at a time, in the order they were posted.
 */
import { parentPort } from 'node:worker_threads';
import { localSinks, type RowSink, type SinkReply, type SinkRequest } from './sinks.js';

/**
 * apache-arrow's file writer, when its output fails (a full disk) and the sink is aborted, rejects an internal
 * read nobody waits for, with `{ done: true, value: <the write error> }`. The error itself reaches the shard
 * writer through the sink's own calls; that stray rejection must not take the thread down. Anything else
 * unhandled is a bug: the thread stops and the calling thread reports it.
 */
process.on('unhandledRejection', (reason) => {
  if (reason && typeof reason === 'object' && (reason as { done?: unknown }).done === true && (reason as { value?: unknown }).value instanceof Error) return;
  throw reason;
});

const factory = localSinks();
const sinks = new Map<number, RowSink>();
let queue: Promise<void> = Promise.resolve();

async function handle(m: SinkRequest): Promise<SinkReply> {
  try {
    switch (m.op) {
      case 'open':
        sinks.set(m.sid, await factory.open(m.path, m.format, m.metadata, m.opts));
        return { id: m.id, ok: true };
      case 'write':
        await sinks.get(m.sid)!.write(m.rows);
        return { id: m.id, ok: true };
      case 'close': {
        const s = sinks.get(m.sid)!;
        sinks.delete(m.sid);
        return { id: m.id, ok: true, value: await s.close() };
      }
      case 'abort': {
        const s = sinks.get(m.sid);
        sinks.delete(m.sid);
        await s?.abort();
        return { id: m.id, ok: true };
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { id: m.id, ok: false, message: err?.message ?? String(e), code: typeof err?.code === 'string' ? err.code : undefined };
  }
}

parentPort?.on('message', (m: SinkRequest) => {
  queue = queue.then(() => handle(m)).then((r) => parentPort!.postMessage(r));
});
