/** The one key/value metadata key of a shard file (parquet-io.ts says why one); its own module so that code that only names it does not load the file formats. */
export const METADATA_KEY = 'shardloom';
