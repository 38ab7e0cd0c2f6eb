/**
 * Tokenize on every core: worker threads, each holding the tokenizer, fed in round-robin chunks; results
 * are reassembled in input order, so output never depends on thread timing. A worker starts when the first
 * chunk comes its way (each builds a BPE, ~0.25 CPU-s and ~75 MB): a run of one document starts one, not
 * one per core. The worker is plain JavaScript run with `eval` and loads the tokenizer library by absolute
 * path, so it works the same from src/ (vitest), dist/ and benchmarks.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import type { FastSpec } from './fast.js';
import { loadTiktoken } from './tiktoken-snapshot.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let encode;
if (workerData.fast) {
  const { enc } = (${loadTiktoken.toString()})(require, workerData.tiktokenPath, workerData.fast, workerData.snapshot ?? null);
  const nfc = workerData.fast.nfc;
  encode = (text) => {
    if (text.length === 0) return new Int32Array(0);
    const ids = enc.encode_ordinary(nfc ? text.normalize('NFC') : text);
    return new Int32Array(ids.buffer, ids.byteOffset, ids.length);
  };
} else {
  const { TokenizerLoader } = require(workerData.libPath);
  const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: JSON.parse(workerData.json), tokenizerConfig: workerData.config });
  encode = referenceEncode(tok);
}
function referenceEncode(tok) { return (text) => {
  if (text.length === 0) return new Int32Array(0);
  const norm = tok.normalizer ? tok.normalizer(text) : text;
  const pieces = tok.pre_tokenizer ? tok.pre_tokenizer(norm) : [norm];
  return Int32Array.from(tok.model.convert_tokens_to_ids(tok.model(pieces)));
}; }
parentPort.on('message', ({ id, texts }) => {
  try {
    const out = texts.map(encode);
    parentPort.postMessage({ id, out }, out.map((a) => a.buffer));
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.stack || e) });
  }
});
`;

/**
 * Either the fast path's inputs (the prepared BPE text), or a tokenizer.json as text (+ config) for the
 * reference path: copying a string to a thread is a memcpy, a parsed 11 MB object graph a slow clone.
 */
export type PoolSpec = { fast: FastSpec; snapshot?: string | null } | { json: string; config: Record<string, unknown> };

export interface WorkerPool {
  encodeMany(texts: string[]): Promise<Int32Array[]>;
  close(): Promise<void>;
  /** Threads started so far (they start as chunks arrive). */
  started(): number;
}

/** Texts per message: large enough to amortise the message cost, small enough to spread over workers. */
const CHUNK_CHARS = 64 * 1024;

export function createWorkerPool(spec: PoolSpec, workers = 0): WorkerPool {
  const n = workers > 0 ? workers : Math.max(1, cpus().length);
  const require = createRequire(import.meta.url);
  const paths = { libPath: require.resolve('@lenml/tokenizers'), tiktokenPath: require.resolve('tiktoken') };
  // Threads start only when every started one is busy: a run whose texts are a trickle (captions) keeps one.
  const pool: Worker[] = [];
  const busy = new Map<Worker, number>();
  const pending = new Map<number, { resolve: (v: Int32Array[]) => void; reject: (e: Error) => void; worker: Worker }>();
  let nextId = 0;
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...paths, ...spec } });
    pool.push(w);
    busy.set(w, 0);
    w.on('message', (m: { id: number; out?: Int32Array[]; error?: string }) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (p) busy.set(p.worker, busy.get(p.worker)! - 1);
      if (m.error) p?.reject(new Error(`tokenizer worker: ${m.error}`));
      else p?.resolve(m.out!);
    });
    w.on('error', (e) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    return w;
  };
  const pick = (): Worker => {
    let least: Worker | undefined;
    for (const w of pool) if (least === undefined || busy.get(w)! < busy.get(least)!) least = w;
    if (least !== undefined && (busy.get(least) === 0 || pool.length >= n)) return least;
    return start();
  };
  const send = (texts: string[]) =>
    new Promise<Int32Array[]>((resolve, reject) => {
      const id = nextId++;
      const worker = pick();
      busy.set(worker, busy.get(worker)! + 1);
      pending.set(id, { resolve, reject, worker });
      worker.postMessage({ id, texts });
    });
  return {
    async encodeMany(texts) {
      const chunks: string[][] = [];
      let cur: string[] = [];
      let chars = 0;
      for (const t of texts) {
        cur.push(t);
        chars += t.length;
        if (chars >= CHUNK_CHARS) { chunks.push(cur); cur = []; chars = 0; }
      }
      if (cur.length) chunks.push(cur);
      const results = await Promise.all(chunks.map(send));
      return results.flat();
    },
    async close() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
    started: () => pool.length,
  };
}
