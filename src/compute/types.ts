import type { TiledImage } from '../core/model.js';

export interface TileOptions {
  minTiles: number;
  maxTiles: number;
  tileSize: number;
  encoding: 'jpeg' | 'png' | 'raw';
  quality: number;
  maxBytes: number;
  maxPixels: number;
}

/** All pixel work goes through a backend; backends agree on the tiling plan, pixels within a tolerance. */
export interface ComputeBackend {
  readonly name: 'cpu' | 'cuda';
  /** Which JPEG encoder writes the tiles (`libjpeg-turbo` or `sharp-mozjpeg`): the bytes depend on it. */
  readonly encoder: string;
  tileImage(bytes: Uint8Array, opts: TileOptions): Promise<TiledImage>;
  close(): Promise<void>;
}
