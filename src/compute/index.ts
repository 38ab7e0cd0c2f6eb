/**
 * The compute module: all pixel work behind one interface.
 */
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import type { TiledImage } from '../model.js';
import type { Logger } from '../log.js';
import { MediaError } from '../media/errors.js';
import { planTiles } from '../media/tiling.js';
import { ShardloomError } from '../errors.js';

export interface TileOptions { minTiles: number; maxTiles: number; tileSize: number; encoding: 'jpeg' | 'png' | 'raw'; quality: number; maxBytes: number; maxPixels: number }

export interface ComputeBackend {
  readonly name: 'cpu' | 'cuda';
  tileImage(bytes: Uint8Array, opts: TileOptions): Promise<TiledImage>;
  close(): Promise<void>;
}

export async function createCompute(cfg: { backend: 'auto' | 'cpu' | 'cuda'; concurrency?: number }, log: Logger): Promise<ComputeBackend> {
  if (cfg.backend === 'cuda') throw new ShardloomError('COMPUTE_BACKEND', 'compute.backend: "cuda" is not available in this build; use "cpu" or "auto"');
  if (cfg.backend === 'auto') log.info('compute: cpu backend (sharp/libvips)');
  sharp.cache(false);
  return cpuBackend();
}

function cpuBackend(): ComputeBackend {
  return {
    name: 'cpu',
    async tileImage(bytes, o) {
      if (bytes.length === 0) throw new MediaError('image.empty', 'zero-byte image');
      if (bytes.length > o.maxBytes) throw new MediaError('image.too_large', `${bytes.length} bytes > images.maxBytes ${o.maxBytes}`);
      let raw: { data: Buffer; info: OutputInfo };
      let width: number, height: number;
      try {
        const img = sharp(bytes, { limitInputPixels: o.maxPixels, failOn: 'error', pages: 1 }).rotate();
        const { data, info } = await img.flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
        raw = { data, info };
        width = info.width;
        height = info.height;
      } catch (e) {
        const msg = (e as Error).message;
        if (/pixel limit/i.test(msg)) throw new MediaError('image.too_many_pixels', `${msg} (images.maxPixels ${o.maxPixels})`);
        throw new MediaError('image.decode', msg);
      }
      const plan = planTiles(width, height, o);
      const S = o.tileSize;
      const input = { raw: { width, height, channels: 3 as const } };
      const grid = await sharp(raw.data, input).resize(plan.cols * S, plan.rows * S, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
      const tiles: Uint8Array[] = [];
      const encode = (p: Sharp) => (o.encoding === 'png' ? p.png() : o.encoding === 'raw' ? p.raw() : p.jpeg({ quality: o.quality })).toBuffer();
      for (let r = 0; r < plan.rows; r++) {
        for (let c = 0; c < plan.cols; c++) {
          tiles.push(await encode(sharp(grid, { raw: { width: plan.cols * S, height: plan.rows * S, channels: 3 } }).extract({ left: c * S, top: r * S, width: S, height: S })));
        }
      }
      if (plan.thumbnail) tiles.push(await encode(sharp(raw.data, input).resize(S, S, { fit: 'fill', kernel: 'cubic' })));
      return { grid: { cols: plan.cols, rows: plan.rows, thumbnail: plan.thumbnail }, tiles };
    },
    async close() {},
  };
}
