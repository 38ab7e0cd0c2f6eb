/** The measured side of bench:scale: one `run` (optionally one rank of several) in this process. */
import { runPipeline } from '../src/run.js';
import { createLogger } from '../src/core/log.js';
import { reportUsage } from './common.js';

const [cfg, out, rank, world] = process.argv.slice(2);
const res = await runPipeline(cfg, { out, overwrite: true, rank: Number(rank ?? 0), worldSize: Number(world ?? 1), log: createLogger('warn'), progress: false });
console.log(`tokens ${res.index.totals.tokens} tiles ${res.index.totals.tiles} rows ${res.index.totals.rows}`);
reportUsage();
