/** Baseline for bench:text: gunzip, split lines, JSON.parse each, touch the text. */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { reportUsage } from './common.js';

const rl = createInterface({ input: createReadStream(process.argv[2]).pipe(createGunzip()), crlfDelay: Infinity });
let chars = 0;
for await (const line of rl) chars += (JSON.parse(line) as { text: string }).text.length;
console.log(`chars ${chars}`);
reportUsage();
