/**
 * A per-image / per-clip / per-frame problem with a short machine `reason` (e.g. `image.decode`): it becomes a
 * reject. `retryable`: a transient failure (network, a compute worker that went away) that another attempt may
 * not meet. It lives in the compute module because backends report every item's failure as one (see
 * `ComputeBackend` in types.ts); media/ re-exports it.
 */
export class MediaError extends Error {
  readonly retryable: boolean;
  constructor(readonly reason: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'MediaError';
    this.retryable = options?.retryable ?? false;
  }
}
