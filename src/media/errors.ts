/** A per-image / per-clip problem with a short machine `reason` (e.g. `image.decode`): it becomes a reject. */
export class MediaError extends Error {
  constructor(readonly reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MediaError';
  }
}
