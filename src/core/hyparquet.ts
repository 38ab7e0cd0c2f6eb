/**
 * hyparquet and its codecs (hyparquet-compressors): ≈ 50 modules, loaded on the first Parquet read, once per
 * thread, by whoever reads first — the Parquet sources and the shard readers. A run that reads no Parquet (the
 * writer thread, which only writes) never loads them (test/startup.test.ts).
 */
export type Hyparquet = typeof import('hyparquet') & { compressors: typeof import('hyparquet-compressors').compressors };

let loaded: Promise<Hyparquet> | undefined;

export function hyparquet(): Promise<Hyparquet> {
  return (loaded ??= Promise.all([import('hyparquet'), import('hyparquet-compressors')]).then(([h, c]) => ({ ...h, compressors: c.compressors })));
}
