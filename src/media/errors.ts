/**
 * A per-image / per-clip problem with a short machine `reason` (e.g. `image.decode`): it becomes a reject.
 * `retryable`: a transient failure (network) that another attempt may not meet.
 */
export class MediaError extends Error {
  readonly retryable: boolean;
  constructor(readonly reason: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'MediaError';
    this.retryable = options?.retryable ?? false;
  }
}
