/**
 * What the headers of a JPEG say before its first scan that decides how it may be decoded: the EXIF
 * orientation (APP1 "Exif") and whether an ICC profile is embedded (APP2 "ICC_PROFILE"). The direct decoder
 * (cpu.ts) only takes files where neither changes the pixels — libvips rotates by the orientation and converts
 * an embedded profile to sRGB — so both paths give the same bytes.
 */

export interface JpegTraits { orientation: number; icc: boolean }

const u16 = (b: Uint8Array, at: number, le: boolean) => (le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]);
const u32 = (b: Uint8Array, at: number, le: boolean) => (le ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 2 ** 24 : b[at] * 2 ** 24 + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]));
const startsWith = (b: Uint8Array, at: number, s: string) => {
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};

/** Orientation from a TIFF structure (the body of an APP1 Exif segment after "Exif\0\0"); 1 when absent. */
function tiffOrientation(b: Uint8Array, start: number, end: number): number {
  if (end - start < 8) return 1;
  const le = b[start] === 0x49 && b[start + 1] === 0x49;
  if (!le && !(b[start] === 0x4d && b[start + 1] === 0x4d)) return 1;
  const ifd = start + u32(b, start + 4, le);
  if (ifd + 2 > end) return 1;
  const n = u16(b, ifd, le);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return 1;
    if (u16(b, e, le) === 0x0112) return u16(b, e + 8, le);
  }
  return 1;
}

/** Orientation and ICC presence from the segments before the first SOS; null when the headers cannot be walked. */
export function jpegTraits(b: Uint8Array): JpegTraits | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let orientation = 1;
  let icc = false;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xda || marker === 0xd9) return { orientation, icc }; // SOS / EOI: headers done
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    const len = (b[i + 2] << 8) | b[i + 3];
    const body = i + 4;
    const end = i + 2 + len;
    if (len < 2 || end > b.length) return null;
    if (marker === 0xe1 && startsWith(b, body, 'Exif\0\0')) orientation = tiffOrientation(b, body + 6, end);
    else if (marker === 0xe2 && startsWith(b, body, 'ICC_PROFILE\0')) icc = true;
    i = end;
  }
  return null;
}
