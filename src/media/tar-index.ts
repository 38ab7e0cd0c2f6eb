/**
 * An index of a tar's members (name → offset, size) read from the 512-byte headers only, so images can
 * be read from a large tar by position without extracting it. ustar, GNU long names and pax paths.
 */
import { open } from 'node:fs/promises';
import { posix } from 'node:path';

export interface TarEntry { name: string; offset: number; size: number }
export interface TarIndex { byName: Map<string, TarEntry>; byStem: Map<string, TarEntry> }

const str = (b: Buffer, a: number, n: number) => b.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
const octal = (b: Buffer, a: number, n: number) => parseInt(str(b, a, n).trim() || '0', 8);

export async function indexTar(path: string): Promise<TarIndex> {
  const fh = await open(path, 'r');
  const byName = new Map<string, TarEntry>();
  const byStem = new Map<string, TarEntry>();
  const header = Buffer.alloc(512);
  let pos = 0;
  let longName: string | null = null;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, 512, pos);
      if (bytesRead < 512 || header.every((x) => x === 0)) break;
      const size = octal(header, 124, 12);
      const type = String.fromCharCode(header[156] || 48);
      const data = pos + 512;
      const next = data + Math.ceil(size / 512) * 512;
      if (type === 'L' || type === 'x') {
        const body = Buffer.alloc(size);
        await fh.read(body, 0, size, data);
        longName = type === 'L' ? body.toString('utf8').replace(/\0.*$/s, '') : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? null;
      } else {
        const prefix = str(header, 345, 155);
        const name = longName ?? (prefix ? `${prefix}/${str(header, 0, 100)}` : str(header, 0, 100));
        longName = null;
        if (type === '0' || type === '\0' || type === '7') {
          const e = { name, offset: data, size };
          byName.set(name, e);
          const base = posix.basename(name);
          byStem.set(base.includes('.') ? base.slice(0, base.indexOf('.')) : base, e);
        }
      }
      pos = next;
    }
  } finally {
    await fh.close();
  }
  return { byName, byStem };
}
