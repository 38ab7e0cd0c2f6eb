/** MediaError is the compute module's (every backend reports a failed item as one): re-exported for media/. */
export { MediaError } from '../compute/index.js';
