// Reading a 50 MB object through the s3 spool (loopback s3rver) vs a local read. `npm run build && node bench/s3-spool.mjs`
import S3rver from 's3rver';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync, createReadStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spoolObject, removeSpooled } from '../dist/sources/s3.js';
const dir = mkdtempSync(join(tmpdir(), 's3bench-'));
const srv = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 'srv'), configureBuckets: [{ name: 'b', configs: [] }] });
const { port } = await srv.run();
Object.assign(process.env, { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
const data = Buffer.alloc(50 << 20); for (let i = 0; i < data.length; i++) data[i] = 97 + (i % 26);
writeFileSync(join(dir, 'local.bin'), data);
const c = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL, region: 'us-east-1', forcePathStyle: true });
await c.send(new PutObjectCommand({ Bucket: 'b', Key: 'big.bin', Body: data }));
const readAll = (p) => new Promise((res, rej) => { let n = 0; createReadStream(p).on('data', (d) => (n += d.length)).on('end', () => res(n)).on('error', rej); });
for (let r = 0; r < 3; r++) {
  let t = performance.now(); await readAll(join(dir, 'local.bin')); const local = performance.now() - t;
  t = performance.now(); const p = await spoolObject('s3://b/big.bin', new AbortController().signal); const dl = performance.now() - t; await readAll(p); const total = performance.now() - t; await removeSpooled(p);
  console.log(`round ${r}: local read ${local.toFixed(0)} ms (${(50 / local * 1000).toFixed(0)} MB/s); s3 spool ${dl.toFixed(0)} ms + read = ${total.toFixed(0)} ms (${(50 / total * 1000).toFixed(0)} MB/s)`);
}
await srv.close(); rmSync(dir, { recursive: true, force: true }); process.exit(0);
