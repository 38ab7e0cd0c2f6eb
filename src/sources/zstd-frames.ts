/**
 * zstd decoding with every frame checked. fzstd decodes but never checks a frame's checksum, and a flipped
 * byte in a block usually decodes to a wrong character without any error. Frame and block boundaries can be
 * read from the compressed bytes alone (RFC 8878), so this splits the stream into frames itself, decodes each
 * frame with its own fzstd decoder, hashes the output with XXH64 and compares it with the frame's checksum.
 * Memory: one block (≤ 128 KiB in and out) plus the frame's window, which is capped like libzstd's default.
 */
import { Decompress } from 'fzstd';
import xxhash from 'xxhash-wasm';

const ZSTD_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 << 10;
/** libzstd's default ZSTD_WINDOWLOG_LIMIT_DEFAULT (2^27): the zstd tool, too, refuses more unless given --long/--memory. */
export const MAX_WINDOW = 1 << 27;

type Create64 = Awaited<ReturnType<typeof xxhash>>['create64'];
let xxApi: ReturnType<typeof xxhash> | undefined;
/** The XXH64 streaming hasher (WebAssembly, loaded once). */
export const loadCreate64 = async (): Promise<Create64> => (await (xxApi ??= xxhash())).create64;

/** Corruption found in frame `frame` (1-based), which starts at compressed byte `at`. */
export class ZstdFrameError extends Error {
  constructor(readonly frame: number, readonly at: number, message: string) {
    super(message);
  }
}

/** What was proven good so far: whole frames only. */
export interface FramesGood {
  /** Frames (skippable ones included) read and checked completely. */
  frames: number;
  /** Compressed offset just past the last good frame. */
  end: number;
  /** Decompressed bytes of the good frames. */
  bytes: number;
  /** Good frames written without a checksum (decoded, but not provably intact). */
  unchecked: number;
}

type State = 'magic' | 'frameHeader' | 'skipHeader' | 'skip' | 'blockHeader' | 'block' | 'checksum';

const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Push-driven frame splitter and checked decoder. `push` is a generator of decompressed pieces (each at most
 * one block) so that a consumer holds at most one block of output at a time. Throws ZstdFrameError on the
 * first problem; `good` then tells what came before it.
 */
export class ZstdFrames {
  readonly good: FramesGood = { frames: 0, end: 0, bytes: 0, unchecked: 0 };
  private state: State = 'magic';
  private readonly hdr = new Uint8Array(18);
  private hlen = 0;
  private need = 4;
  private left = 0;
  private pos = 0;
  // the frame being read
  private start = 0;
  private dec: Decompress | null = null;
  private hash: ReturnType<Create64> | null = null;
  private out: Uint8Array[] = [];
  private produced = 0;
  private contentSize: number | null = null;
  private checked = false;
  private blockMax = MAX_BLOCK;
  private last = false;

  /**
   * `create64`: compare every checksum (without it frames are only decoded and their sizes checked).
   * `emit`: yield the decompressed pieces; a verifying pass leaves it off and keeps nothing.
   */
  constructor(private readonly opts: { create64?: Create64; emit: boolean }) {}

  *push(chunk: Uint8Array): Generator<Uint8Array> {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        if (this.state === 'block') yield* this.feed(chunk.subarray(i, i + n));
        i += n;
        this.pos += n;
        this.left -= n;
        if (this.left === 0) yield* this.bodyDone();
        continue;
      }
      const n = Math.min(this.need - this.hlen, chunk.length - i);
      this.hdr.set(chunk.subarray(i, i + n), this.hlen);
      this.hlen += n;
      this.pos += n;
      i += n;
      if (this.hlen === this.need) yield* this.header();
    }
  }

  /** The end of the input: anything but a frame boundary here is a truncated file. */
  finish(): void {
    if (this.state === 'magic' && this.hlen === 0) return;
    const where: Record<State, string> = {
      magic: 'in its magic number', frameHeader: 'in the frame header', skipHeader: 'in a skippable frame header', skip: 'in a skippable frame',
      blockHeader: 'before the last block', block: 'inside a block', checksum: 'inside the checksum',
    };
    this.fail(`truncated: the file ends ${where[this.state]} (${this.pos - this.start} compressed bytes of this frame read)`);
  }

  private fail(message: string): never {
    throw new ZstdFrameError(this.good.frames + 1, this.start, `frame ${this.good.frames + 1} (compressed byte ${this.start}): ${message}`);
  }

  private *header(): Generator<Uint8Array> {
    const h = this.hdr;
    switch (this.state) {
      case 'magic': {
        const magic = u32(h, 0);
        if (magic === ZSTD_MAGIC) { this.state = 'frameHeader'; this.need = 5; }
        else if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) { this.state = 'skipHeader'; this.need = 8; }
        else this.fail(`not a zstd frame (magic ${hex(magic)})`);
        return;
      }
      case 'skipHeader':
        this.state = 'skip';
        this.left = u32(h, 4);
        if (this.left === 0) this.frameDone();
        return;
      case 'frameHeader':
        if (this.need === 5) return this.frameHeaderSize();
        yield* this.beginFrame();
        return;
      case 'blockHeader': {
        const v = h[0] | (h[1] << 8) | (h[2] << 16);
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        this.last = (v & 1) === 1;
        if (type === 3) this.fail('reserved block type');
        if (size > this.blockMax) this.fail(`block of ${size} bytes exceeds the maximum of ${this.blockMax}`);
        yield* this.feed(h.slice(0, 3));
        this.state = 'block';
        this.left = type === 1 ? 1 : size;
        if (this.left === 0) yield* this.bodyDone();
        return;
      }
      case 'checksum':
        yield* this.feed(h.slice(0, 4));
        yield* this.endFrame(u32(h, 0));
        return;
    }
  }

  private frameHeaderSize(): void {
    const d = this.hdr[4];
    if (d & 8) this.fail('reserved bit set in the frame header');
    const fcsFlag = d >> 6;
    const single = (d >> 5) & 1;
    this.need = 5 + (single ? 0 : 1) + [0, 1, 2, 4][d & 3] + (fcsFlag ? 1 << fcsFlag : single);
  }

  private *beginFrame(): Generator<Uint8Array> {
    const h = this.hdr;
    const d = h[4];
    const single = (d >> 5) & 1;
    const fcsFlag = d >> 6;
    let at = 5;
    let window = 0;
    if (!single) {
      const base = 2 ** (10 + (h[5] >> 3));
      window = base + (base / 8) * (h[5] & 7);
      at = 6;
    }
    const didBytes = [0, 1, 2, 4][d & 3];
    const dict = didBytes === 4 ? u32(h, at) : didBytes === 2 ? h[at] | (h[at + 1] << 8) : didBytes ? h[at] : 0;
    at += didBytes;
    const fcsBytes = fcsFlag ? 1 << fcsFlag : single;
    let size: number | null = null;
    if (fcsBytes) {
      size = 0;
      for (let k = fcsBytes - 1; k >= 0; k--) size = size * 256 + h[at + k];
      if (fcsBytes === 2) size += 256;
    }
    if (single) window = size ?? 0;
    if (dict !== 0) this.fail(`needs dictionary ${dict}, which is not supported`);
    if (window > MAX_WINDOW) this.fail(`needs a ${(window / 2 ** 20).toFixed(0)} MiB window, over the ${MAX_WINDOW / 2 ** 20} MiB limit (written with --long=28 or more?)`);
    this.contentSize = size;
    this.checked = ((d >> 2) & 1) === 1;
    this.blockMax = Math.min(MAX_BLOCK, Math.max(window, 1));
    this.produced = 0;
    this.hash = this.checked && this.opts.create64 ? this.opts.create64(0n) : null;
    this.dec = new Decompress((piece) => {
      this.produced += piece.length;
      if (piece.length) this.hash?.update(piece);
      if (piece.length && this.opts.emit) this.out.push(piece);
    });
    yield* this.feed(h.slice(0, this.need));
    this.state = 'blockHeader';
    this.hlen = 0;
    this.need = 3;
  }

  private *bodyDone(): Generator<Uint8Array> {
    if (this.state === 'skip') return this.frameDone();
    this.hlen = 0;
    if (!this.last) { this.state = 'blockHeader'; this.need = 3; return; }
    if (this.checked) { this.state = 'checksum'; this.need = 4; return; }
    yield* this.endFrame(null);
  }

  private *feed(bytes: Uint8Array): Generator<Uint8Array> {
    try {
      this.dec!.push(bytes);
    } catch (e) {
      this.fail(`undecodable (${(e as Error).message})`);
    }
    while (this.out.length) yield this.out.shift()!;
  }

  private *endFrame(checksum: number | null): Generator<Uint8Array> {
    try {
      this.dec!.push(new Uint8Array(0), true);
    } catch (e) {
      this.fail(`undecodable (${(e as Error).message})`);
    }
    while (this.out.length) yield this.out.shift()!;
    if (this.contentSize !== null && this.produced !== this.contentSize) this.fail(`decodes to ${this.produced} bytes, the header says ${this.contentSize}`);
    if (checksum !== null && this.hash) {
      const actual = Number(this.hash.digest() & 0xffffffffn);
      if (actual !== checksum) this.fail(`checksum mismatch (stored ${hex(checksum)}, content hashes to ${hex(actual)})`);
    }
    if (checksum === null) this.good.unchecked++;
    this.good.bytes += this.produced;
    this.frameDone();
  }

  private frameDone(): void {
    this.good.frames++;
    this.good.end = this.pos;
    this.start = this.pos;
    this.dec = null;
    this.hash = null;
    this.state = 'magic';
    this.hlen = 0;
    this.need = 4;
  }
}
