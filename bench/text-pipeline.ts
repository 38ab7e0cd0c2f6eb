/** The measured side of bench:text: a full `run` in this process. */
import { runPipeline } from '../src/run.js';
import { createLogger } from '../src/core/log.js';
import { reportUsage } from './common.js';

const res = await runPipeline(process.argv[2], { out: process.argv[3], overwrite: true, log: createLogger('warn'), progress: false });
console.log(`tokens ${res.index.totals.tokens} rows ${res.index.totals.rows} shards ${res.index.totals.shards} fill ${(res.stats.packing.fill * 100).toFixed(2)} %`);
reportUsage();
