/**
 * tiktoken's BPE, built once per machine instead of once per tokenizer thread. Building it (`new Tiktoken`:
 * 151k ranks decoded into hash maps, the pattern compiled) costs ≈ 0.25–0.35 CPU-s in every thread of every
 * run; what it builds lives entirely in the WebAssembly instance's linear memory (the Rust struct holds no
 * JavaScript values, and the module has no globals but its stack pointer, which is back at its start once
 * the constructor returns). So the first thread to build it writes that memory to a snapshot file beside the
 * prepared tokenizer; later threads copy the snapshot into a fresh instance of the same module and wrap the
 * struct's address — ≈ 30 ms. A snapshot is used only when its key matches (the prepared vocabulary and
 * pattern, tiktoken's version and its .wasm file's size) and the SHA-256 of its body checks out; anything
 * else (no file, an unwritable cache, a changed tiktoken, a read error) builds it the usual way. Only
 * tokenizer threads use this: they load nothing else of tiktoken, so no other instance can take the glue
 * module over (its `wasm` is module-wide). test/tokenize/tiktoken-snapshot.test.ts checks that ids from a
 * restored instance equal a freshly built one's.
 *
 * Self-contained (only its parameters and Node built-ins through `req`): pool.ts puts its source into the
 * thread's code.
 */
export interface TiktokenLike {
  encode_ordinary(text: string): Uint32Array;
}

export function loadTiktoken(
  req: (id: string) => unknown,
  tiktokenMain: string,
  spec: { bpe: string; pattern: string },
  snapshotPath: string | null,
): { enc: TiktokenLike; from: 'snapshot' | 'built' | 'plain' } {
  type Glue = { __wbg_set_wasm(x: unknown): void; Tiktoken: { new(bpe: string, special: object, pattern: string): TiktokenLike & { __wbg_ptr: number }; __wrap(ptr: number): TiktokenLike } };
  const fs = req('node:fs') as typeof import('node:fs');
  const path = req('node:path') as typeof import('node:path');
  const crypto = req('node:crypto') as typeof import('node:crypto');
  const dir = path.dirname(tiktokenMain);
  let glue: Glue;
  let wasmBytes: Buffer;
  let version: string;
  try {
    glue = req(path.join(dir, 'tiktoken_bg.cjs')) as Glue;
    wasmBytes = fs.readFileSync(path.join(dir, 'tiktoken_bg.wasm'));
    version = String((JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version);
    if (typeof glue.__wbg_set_wasm !== 'function' || typeof glue.Tiktoken?.__wrap !== 'function') throw new Error('unexpected tiktoken layout');
  } catch {
    // Another tiktoken layout: its own loader, built in full.
    const { Tiktoken } = req(tiktokenMain) as { Tiktoken: new (bpe: string, special: object, pattern: string) => TiktokenLike };
    return { enc: new Tiktoken(spec.bpe, {}, spec.pattern), from: 'plain' };
  }
  const module = new WebAssembly.Module(wasmBytes);
  const instantiate = () => {
    const instance = new WebAssembly.Instance(module, { './tiktoken_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    return instance.exports.memory as WebAssembly.Memory;
  };
  const key = crypto.createHash('sha256').update(`tiktoken ${version} wasm ${wasmBytes.length}\n${spec.pattern}\n`).update(spec.bpe).digest('hex');
  let memory = instantiate();
  if (snapshotPath) {
    let fd = -1;
    try {
      fd = fs.openSync(snapshotPath, 'r');
      const head = Buffer.alloc(512);
      const got = fs.readSync(fd, head, 0, head.length, 0);
      const nl = head.subarray(0, got).indexOf(10);
      const h = JSON.parse(head.subarray(0, nl).toString('utf8')) as { key: string; ptr: number; bytes: number; sha256: string };
      if (h.key === key && Number.isInteger(h.ptr) && h.bytes % 65536 === 0 && h.bytes > 0) {
        const have = memory.buffer.byteLength;
        if (h.bytes > have) memory.grow((h.bytes - have) / 65536);
        const view = new Uint8Array(memory.buffer, 0, h.bytes);
        if (fs.readSync(fd, view, 0, h.bytes, nl + 1) === h.bytes && crypto.createHash('sha256').update(view).digest('hex') === h.sha256) {
          return { enc: glue.Tiktoken.__wrap(h.ptr), from: 'snapshot' };
        }
      }
      memory = instantiate(); // a snapshot that does not check out: start again from a clean instance
    } catch {
      memory = instantiate();
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }
  const enc = new glue.Tiktoken(spec.bpe, {}, spec.pattern);
  if (snapshotPath) {
    try {
      const body = new Uint8Array(memory.buffer);
      const header = JSON.stringify({ key, ptr: enc.__wbg_ptr, bytes: body.length, sha256: crypto.createHash('sha256').update(body).digest('hex') }) + '\n';
      const tmp = `${snapshotPath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        const fd = fs.openSync(tmp, 'w');
        try {
          fs.writeSync(fd, header);
          fs.writeSync(fd, body);
        } finally {
          fs.closeSync(fd);
        }
        fs.renameSync(tmp, snapshotPath);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    } catch {
      // An unwritable cache costs only the time to build, as for the prepared tokenizer.
    }
  }
  return { enc, from: 'built' };
}
