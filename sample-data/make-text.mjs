// Rebuilds sample-data/text/ from the licence texts in /usr/share/common-licenses (Debian base-files).
// Run: node sample-data/make-text.mjs   (the outputs are committed; this records how they were made)
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { parquetWriteFile } from 'hyparquet-writer';

const dir = new URL('./text/', import.meta.url).pathname;
const lic = '/usr/share/common-licenses/';
const paragraphs = (name) =>
  readFileSync(lic + name, 'utf8').split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length > 40);

const toJsonl = (docs) => docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
const apache = paragraphs('Apache-2.0').map((text, i) => ({ id: `apache-2.0/${i}`, text }));
const gpl3 = paragraphs('GPL-3').map((text, i) => ({ id: `gpl-3/${i}`, text }));
const mpl = paragraphs('MPL-2.0').map((text, i) => ({ id: `mpl-2.0/${i}`, text }));

writeFileSync(dir + 'apache-2.0.jsonl', toJsonl(apache));
writeFileSync(dir + 'gpl-3.jsonl.gz', gzipSync(toJsonl(gpl3), { level: 9 }));
writeFileSync(dir + 'mpl-2.0.jsonl', toJsonl(mpl));
execFileSync('zstd', ['-q', '-f', '-19', '--rm', dir + 'mpl-2.0.jsonl', '-o', dir + 'mpl-2.0.jsonl.zst']);
// Two records that must be rejected (and reported), not crash the run.
writeFileSync(dir + 'with-bad-lines.jsonl', toJsonl([{ text: 'A good line before the bad ones.' }]) + '{"text": "unterminated\n' + toJsonl([{ text: '' }, { text: 'A good line after them.' }]));
writeFileSync(dir + 'lgpl-2.1.txt', readFileSync(lic + 'LGPL-2.1', 'utf8'));
const artistic = paragraphs('Artistic');
await parquetWriteFile({
  filename: dir + 'artistic.parquet',
  columnData: [
    { name: 'id', data: artistic.map((_, i) => `artistic/${i}`), type: 'STRING' },
    { name: 'text', data: artistic, type: 'STRING' },
  ],
  rowGroupSize: 8,
});
console.log('sample-data/text rebuilt');
