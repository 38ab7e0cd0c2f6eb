/**
 * One error factory. Setup problems (bad config, missing input, unwritable output) are
 * `ShardloomError`s with a machine code; they stop the run before or as work starts.
 * Per-record problems are rejects, not errors (see rejects.ts).
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'INPUT_NOT_FOUND'
  | 'OUTPUT_CONFLICT'
  | 'OUTPUT_WRITE'
  | 'TOO_MANY_FAILURES'
  | 'TOKENIZER'
  | 'COMPUTE_BACKEND'
  /** The compute backend stopped during the run (a GPU worker that died or hung twice): exit 3, resumable. */
  | 'COMPUTE_FAILED'
  | 'SHARD_READ'
  | 'USAGE';

export class ShardloomError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ShardloomError';
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === 'string') return `"${value.length > 60 ? value.slice(0, 57) + '...' : value}" of type string`;
  if (typeof value === 'object') return 'object';
  return `${String(value)} of type ${typeof value}`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
