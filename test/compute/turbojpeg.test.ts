/**
 * JPEG tiles through libjpeg-turbo (koffi → libturbojpeg): byte-identical to PIL's JPEG encoder (the same
 * library, the same settings), tiles read in place from a larger grid, the fallback to sharp and its reasons, bad areas.
 * Needs the system's libturbojpeg (Debian: libturbojpeg0; `.ci/run` installs it).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadTurboJpeg, resetTurboJpeg } from '../../src/compute/turbojpeg.js';
import { cpuBackend } from '../../src/compute/cpu.js';
import { tempDir, PYTHON } from '../helpers/tmp.js';

const dir = tempDir();
const opts = { minTiles: 1, maxTiles: 12, tileSize: 448, encoding: 'jpeg' as const, quality: 95, maxBytes: 50e6, maxPixels: 1e9 };

async function grid(): Promise<Buffer> {
  return sharp('sample-data/images/board.jpg').resize(1344, 896, { fit: 'fill' }).raw().toBuffer();
}

function tileAt(g: Buffer, col: number, row: number): Buffer {
  const t = Buffer.alloc(448 * 448 * 3);
  for (let y = 0; y < 448; y++) g.copy(t, y * 448 * 3, ((row * 448 + y) * 1344 + col * 448) * 3, ((row * 448 + y) * 1344 + (col + 1) * 448) * 3);
  return t;
}

afterEach(() => resetTurboJpeg());

describe('libturbojpeg tile encoder', () => {
  const turbo = () => {
    const { lib, reason } = loadTurboJpeg({});
    if (!lib) throw new Error(`libturbojpeg is needed for these tests (apt-get install libturbojpeg0): ${reason}`);
    return lib;
  };

  test('a tile read in place from the grid: the same bytes as PIL saving that tile at q95', async () => {
    const g = await grid();
    const tile = tileAt(g, 1, 1);
    const jpeg = await turbo().encodeRgb(g, (448 * 1344 + 448) * 3, 448, 448, 1344 * 3, 95);
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    writeFileSync(join(dir, 'tile.rgb'), tile);
    execFileSync(PYTHON, ['-c', `from PIL import Image\nImage.frombytes('RGB', (448, 448), open('${dir}/tile.rgb', 'rb').read()).save('${dir}/pil.jpg', quality=95)`]);
    expect(Buffer.compare(jpeg, readFileSync(join(dir, 'pil.jpg')))).toBe(0);
  });

  test('the same bytes whether the tile is read from the grid or from a copy; quality is applied', async () => {
    const g = await grid();
    const t = turbo();
    const inPlace = await t.encodeRgb(g, 448 * 3, 448, 448, 1344 * 3, 95);
    const copied = await t.encodeRgb(tileAt(g, 1, 0), 0, 448, 448, 448 * 3, 95);
    expect(Buffer.compare(inPlace, copied)).toBe(0);
    const q60 = await t.encodeRgb(g, 448 * 3, 448, 448, 1344 * 3, 60);
    expect(q60.length).toBeLessThan(inPlace.length / 2);
  });

  test('many tiles in flight at once (one handle each) give the same bytes as one at a time', async () => {
    const g = await grid();
    const t = turbo();
    const offsets = Array.from({ length: 24 }, (_, i) => (((i % 2) * 448 * 1344) + (i % 3) * 448) * 3);
    const serial: Buffer[] = [];
    for (const o of offsets) serial.push(await t.encodeRgb(g, o, 448, 448, 1344 * 3, 95));
    const parallel = await Promise.all(offsets.map((o) => t.encodeRgb(g, o, 448, 448, 1344 * 3, 95)));
    expect(parallel.map((b, i) => Buffer.compare(b, serial[i]))).toEqual(offsets.map(() => 0));
  });

  test('an area outside the image is an error, not a read past the end', async () => {
    const g = await grid();
    await expect(turbo().encodeRgb(g, (448 * 1344 + 1000) * 3, 448, 448, 1344 * 3, 95)).rejects.toThrow(/outside a 3612672-byte image/);
  });
});

describe('choosing the encoder', () => {
  test('a tile the encoder refuses makes the image a reject (image.encode), after every tile has settled', async () => {
    loadTurboJpeg({ SHARDLOOM_TURBOJPEG: 'off' });
    const bytes = readFileSync('sample-data/images/board.jpg');
    await expect(cpuBackend().tileImage(bytes, { ...opts, quality: 0 })).rejects.toMatchObject({ reason: 'image.encode', message: expect.stringMatching(/tile encoding failed: .*quality/) });
    // The backend still works for the next image.
    expect((await cpuBackend().tileImage(bytes, opts)).tiles).toHaveLength(7);
  });

  test('SHARDLOOM_TURBOJPEG=off, or a library that is not there: sharp, with the reason', () => {
    expect(loadTurboJpeg({ SHARDLOOM_TURBOJPEG: 'off' })).toEqual({ lib: null, reason: 'SHARDLOOM_TURBOJPEG=off' });
    resetTurboJpeg();
    const missing = loadTurboJpeg({ SHARDLOOM_TURBOJPEG: '/nowhere/libturbojpeg.so' });
    expect(missing.lib).toBeNull();
    expect(missing.reason).toMatch(/\/nowhere\/libturbojpeg\.so.*apt-get install libturbojpeg0/);
  });

  test('the cpu backend encodes with sharp when libturbojpeg is off: valid tiles, close to the turbo ones', async () => {
    const bytes = readFileSync('sample-data/images/board.jpg');
    const viaTurbo = await cpuBackend().tileImage(bytes, opts);
    resetTurboJpeg();
    loadTurboJpeg({ SHARDLOOM_TURBOJPEG: 'off' });
    const viaSharp = await cpuBackend().tileImage(bytes, opts);
    expect(viaSharp.grid).toEqual(viaTurbo.grid);
    expect(viaSharp.tiles.length).toBe(7);
    for (const [i, t] of viaSharp.tiles.entries()) {
      const a = await sharp(t).raw().toBuffer({ resolveWithObject: true });
      const b = await sharp(viaTurbo.tiles[i]).raw().toBuffer();
      expect([a.info.width, a.info.height]).toEqual([448, 448]);
      let se = 0;
      for (let k = 0; k < b.length; k++) se += (a.data[k] - b[k]) ** 2;
      expect(10 * Math.log10((255 * 255) / (se / b.length))).toBeGreaterThan(40); // two q95 encoders of the same pixels
    }
  });
});
