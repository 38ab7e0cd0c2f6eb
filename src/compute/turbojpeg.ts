/**
 * JPEG tile encoding through the system's libjpeg-turbo (TurboJPEG API, `libturbojpeg.so.0`), called with
 * koffi on libuv's thread pool. Optional: where the library is missing the CPU backend encodes with sharp
 * (libvips + mozjpeg) instead, and says so. Why (docs/decisions.md): for a 448² tile at q95, sharp costs
 * ~1.05 ms of CPU per tile (a libvips pipeline per call, and mozjpeg is slower than libjpeg-turbo here);
 * tjCompress2 reads the tile in place from the resized grid (a row pitch, no copy) and costs ~0.55 ms —
 * the same library, and so the same bytes, as PIL's `Image.save(format='JPEG')`.
 *
 * `SHARDLOOM_TURBOJPEG=off` forces sharp; `SHARDLOOM_TURBOJPEG=/path/libturbojpeg.so` picks a library.
 */
import { createRequire } from 'node:module';
import type { LibraryHandle } from 'koffi';

export interface TurboJpeg {
  /** Where the library was loaded from. */
  readonly library: string;
  /**
   * Encode the width×height RGB area starting at byte `offset` of `src`, rows `pitch` bytes apart, 4:2:0.
   * `src` must stay unchanged until the promise settles (it is read on another thread).
   */
  encodeRgb(src: Uint8Array, offset: number, width: number, height: number, pitch: number, quality: number): Promise<Buffer>;
  /** The same, on the calling thread (a tiling thread: no hop to libuv's pool). Same bytes. */
  encodeRgbSync(src: Uint8Array, offset: number, width: number, height: number, pitch: number, quality: number): Buffer;
  /** A JPEG's size and colour space from its headers (throws when libjpeg-turbo cannot read them). */
  header(jpeg: Uint8Array): JpegHeader;
  /**
   * Decode a whole JPEG (full size, libjpeg's defaults: accurate DCT, fancy upsampling — PIL's settings) as
   * packed RGB into `dst` (≥ width × height × 3 bytes), on the calling thread. Throws on any error or warning.
   */
  decodeRgbSync(jpeg: Uint8Array, dst: Uint8Array, width: number, height: number): void;
}

/** TurboJPEG colour spaces (TJCS_*). */
export const TJCS = { RGB: 0, YCbCr: 1, GRAY: 2, CMYK: 3, YCCK: 4 } as const;
export interface JpegHeader { width: number; height: number; colorspace: number }

const TJPF_RGB = 0;
const TJSAMP_420 = 2;
const TJFLAG_NOREALLOC = 1024;
// TurboJPEG compresses with the fast integer DCT unless asked; PIL (libjpeg's default) uses the accurate one.
const TJFLAG_ACCURATEDCT = 4096;
// Any libjpeg warning (corrupt data, premature end) fails the fast decode; the libvips path then decides.
const TJFLAG_STOPONWARNING = 8192;
const CANDIDATES = ['libturbojpeg.so.0', 'libturbojpeg.so', 'libturbojpeg.0.dylib', 'libturbojpeg.dylib', 'turbojpeg.dll'];

let cached: { lib: TurboJpeg | null; reason: string } | undefined;

/** The encoder, or null with the reason it is not available. Loaded once per process (per thread). */
export function loadTurboJpeg(env: NodeJS.ProcessEnv = process.env): { lib: TurboJpeg | null; reason: string } {
  if (cached) return cached;
  const want = env.SHARDLOOM_TURBOJPEG?.trim();
  if (want === 'off' || want === '0') return (cached = { lib: null, reason: 'SHARDLOOM_TURBOJPEG=off' });
  let koffi: typeof import('koffi');
  try {
    // Loaded here, not imported: a platform without koffi's prebuilt binary still runs, with sharp.
    koffi = createRequire(import.meta.url)('koffi');
  } catch (e) {
    return (cached = { lib: null, reason: `koffi (the FFI used to call libturbojpeg) does not load here: ${(e as Error).message.split('\n')[0]}` });
  }
  const errors: string[] = [];
  for (const name of want ? [want] : CANDIDATES) {
    try {
      return (cached = { lib: bind(koffi.load(name), name), reason: '' });
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return (cached = { lib: null, reason: `libturbojpeg not found (${errors[0]}${errors.length > 1 ? ', …' : ''}); on Debian/Ubuntu: apt-get install libturbojpeg0` });
}

/** For tests: forget the loaded library so the environment is read again. */
export function resetTurboJpeg(): void {
  cached = undefined;
}

function bind(lib: LibraryHandle, name: string): TurboJpeg {
  const tjInitCompress = lib.func('void* tjInitCompress()');
  const tjCompress2 = lib.func('int tjCompress2(void* handle, const uint8_t* src, int width, int pitch, int height, int pixelFormat, _Inout_ uint8_t** dst, _Inout_ unsigned long* size, int subsamp, int quality, int flags)');
  const tjBufSize = lib.func('unsigned long tjBufSize(int width, int height, int subsamp)');
  const tjGetErrorStr2 = lib.func('const char* tjGetErrorStr2(void* handle)');
  const tjInitDecompress = lib.func('void* tjInitDecompress()');
  const tjDecompressHeader3 = lib.func('int tjDecompressHeader3(void* handle, const uint8_t* jpegBuf, unsigned long jpegSize, _Out_ int* width, _Out_ int* height, _Out_ int* jpegSubsamp, _Out_ int* jpegColorspace)');
  const tjDecompress2 = lib.func('int tjDecompress2(void* handle, const uint8_t* jpegBuf, unsigned long jpegSize, uint8_t* dstBuf, int width, int pitch, int height, int pixelFormat, int flags)');
  let decompressor: unknown = null; // one per thread: decoding is synchronous
  // A handle is not thread-safe: each call in flight takes its own, with an output buffer of the worst-case
  // size for that tile size (NOREALLOC: libjpeg-turbo writes into our memory, we copy out the used part).
  const idle = new Map<number, { handle: unknown; out: Buffer }[]>();
  const outside = (src: Uint8Array, offset: number, width: number, height: number, pitch: number) =>
    offset + (height - 1) * pitch + width * 3 > src.length ? new RangeError(`tile area ${width}×${height} at byte ${offset} (pitch ${pitch}) is outside a ${src.length}-byte image`) : null;
  const take = (width: number, height: number) => {
    const cap = Number(tjBufSize(width, height, TJSAMP_420));
    const free = idle.get(cap) ?? idle.set(cap, []).get(cap)!;
    return { cap, free, slot: free.pop() ?? { handle: tjInitCompress(), out: Buffer.allocUnsafe(cap) } };
  };
  return {
    library: name,
    encodeRgb(src, offset, width, height, pitch, quality) {
      const bad = outside(src, offset, width, height, pitch);
      if (bad) return Promise.reject(bad);
      const { cap, free, slot } = take(width, height);
      const dst = [slot.out];
      const size = [cap];
      return new Promise<Buffer>((resolve, reject) => {
        tjCompress2.async(slot.handle, src.subarray(offset), width, pitch, height, TJPF_RGB, dst, size, TJSAMP_420, quality, TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT, (err: Error | null, rc: number) => {
          try {
            if (err) reject(err);
            else if (rc !== 0) reject(new Error(`libturbojpeg: ${tjGetErrorStr2(slot.handle)}`));
            else resolve(Buffer.from(slot.out.subarray(0, size[0])));
          } finally {
            free.push(slot);
          }
        });
      });
    },
    header(jpeg) {
      decompressor ??= tjInitDecompress();
      const w = [0], h = [0], sub = [0], cs = [0];
      if (tjDecompressHeader3(decompressor, jpeg, jpeg.length, w, h, sub, cs) !== 0) throw new Error(`libturbojpeg: ${tjGetErrorStr2(decompressor)}`);
      return { width: w[0], height: h[0], colorspace: cs[0] };
    },
    decodeRgbSync(jpeg, dst, width, height) {
      if (dst.length < width * height * 3) throw new RangeError(`decode: ${dst.length} bytes < ${width}×${height}×3`);
      decompressor ??= tjInitDecompress();
      if (tjDecompress2(decompressor, jpeg, jpeg.length, dst, width, width * 3, height, TJPF_RGB, TJFLAG_STOPONWARNING) !== 0) throw new Error(`libturbojpeg: ${tjGetErrorStr2(decompressor)}`);
    },
    encodeRgbSync(src, offset, width, height, pitch, quality) {
      const bad = outside(src, offset, width, height, pitch);
      if (bad) throw bad;
      const { cap, free, slot } = take(width, height);
      const dst = [slot.out];
      const size = [cap];
      try {
        const rc = tjCompress2(slot.handle, src.subarray(offset), width, pitch, height, TJPF_RGB, dst, size, TJSAMP_420, quality, TJFLAG_NOREALLOC | TJFLAG_ACCURATEDCT);
        if (rc !== 0) throw new Error(`libturbojpeg: ${tjGetErrorStr2(slot.handle)}`);
        return Buffer.from(slot.out.subarray(0, size[0]));
      } finally {
        free.push(slot);
      }
    },
  };
}
