// Rebuilds the image samples from the two photos in sample-data/images/ (see README.md for their source):
//   captions/00000.tar           img2dataset-style WebDataset (key.jpg + key.txt + key.json)
//   interleaved/obelics.parquet  OBELICS rows (images by URL, resolved through interleaved/images/, keyed by SHA-1 of the URL)
//   interleaved/mmc4.jsonl       MMC4 lines (image_name in interleaved/images/)
// Run: node sample-data/make-media.mjs   (outputs are committed; needs the dev dependencies)
import { createHash } from 'node:crypto';
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import sharp from 'sharp';
import { pack } from 'tar-stream';
import { DuckDBInstance } from '@duckdb/node-api';

const root = new URL('.', import.meta.url).pathname;
const board = root + 'images/board.jpg';
const verify = root + 'images/verify.jpg';
const crop = (src, left, top, width, height, out = 1) => sharp(src).extract({ left, top, width, height }).resize(Math.round(width * out)).jpeg({ quality: 82 }).toBuffer();

const pairs = [
  [await sharp(board).resize(480).jpeg({ quality: 82 }).toBuffer(), 'A green STM32F3DISCOVERY development board with a ring of LEDs, a large microcontroller and two USB ports.'],
  [await crop(board, 0, 120, 300, 260), 'A ring of small LEDs arranged like a compass rose on a green circuit board.'],
  [await crop(board, 330, 200, 230, 200), 'A square black microcontroller chip with many pins, soldered to a green board.'],
  [await crop(board, 580, 240, 140, 237), 'Two mini USB connectors at the right edge of a development board.'],
  [await crop(verify, 0, 0, 720, 120), 'A long row of header pins along the top edge of a green circuit board.'],
  [await crop(verify, 200, 60, 160, 160, 2), 'A blue push button next to a printed logo on a green board.'],
];

// WebDataset tar, keys as img2dataset writes them (shard 00000, 4-digit index).
{
  const p = pack();
  const chunks = [];
  p.on('data', (c) => chunks.push(c));
  const done = new Promise((r) => p.on('end', r));
  pairs.forEach(([jpg, caption], i) => {
    const key = `00000${String(i).padStart(4, '0')}`;
    p.entry({ name: `${key}.jpg`, mtime: new Date(0) }, jpg);
    p.entry({ name: `${key}.txt`, mtime: new Date(0) }, caption);
    p.entry({ name: `${key}.json`, mtime: new Date(0) }, JSON.stringify({ key, caption, status: 'success' }));
  });
  p.finalize();
  await done;
  writeFileSync(root + 'captions/00000.tar', Buffer.concat(chunks));
}

// Image store for the interleaved documents: files named by the SHA-1 of their URL.
rmSync(root + 'interleaved/images', { recursive: true, force: true });
mkdirSync(root + 'interleaved/images');
const url = (i) => `https://example.org/board/${i}.jpg`;
const sha1 = (s) => createHash('sha1').update(s).digest('hex');
pairs.forEach(([jpg], i) => writeFileSync(root + `interleaved/images/${sha1(url(i))}.jpg`, jpg));
pairs.slice(0, 3).forEach(([jpg], i) => writeFileSync(root + `interleaved/images/mmc4-${i}.jpg`, jpg));

// OBELICS: parallel lists, one non-null per position, END_OF_DOCUMENT splitting a row, one missing image.
const rows = [
  { images: [url(0), null, null, url(1), null], texts: [null, 'The STM32F3DISCOVERY board is a low-cost way to try an ARM Cortex-M4 microcontroller.', 'It has a gyroscope, an accelerometer and eight LEDs.', null, 'The LEDs form a compass rose, handy for showing a heading.'] },
  { images: [null, url(2), null], texts: ['At the centre of the board sits the STM32F303 chip.', null, 'It runs at up to 72 MHz. END_OF_DOCUMENT_TOKEN_TO_BE_REPLACED Two USB ports connect the board to a computer: one for the debugger, one for the user.'] },
  { images: [url(3), null, 'https://example.org/missing.jpg', null], texts: [null, 'The mini USB connectors sit on the right edge.', null, 'The header pins along both edges carry every signal of the chip.'] },
  { images: [null, url(5)], texts: ['A blue button is wired to a user input.', null] },
];
const lit = (s) => (s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`);
const list = (xs) => `[${xs.map(lit).join(', ')}]::VARCHAR[]`;
const values = rows.map((r, i) => `(${i}, ${list(r.images)}, ${list(r.texts)}, '[]', '{"url": "https://example.org/stm32"}')`).join(', ');
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(`COPY (SELECT images, texts, metadata, general_metadata FROM (VALUES ${values}) t(i, images, texts, metadata, general_metadata) ORDER BY i) TO '${root}interleaved/obelics.parquet' (FORMAT parquet, COMPRESSION zstd)`);
con.closeSync();
db.closeSync();

// MMC4: sentences plus images matched to sentences (one weak match, dropped by the 0.24 threshold).
const mmc4 = [
  { text_list: ['This is a development board for embedded Rust.', 'The ring of LEDs can show a direction.', 'The chip in the middle runs the program.'], image_info: [{ image_name: 'mmc4-1.jpg', matched_text_index: 1, matched_sim: 0.31 }, { image_name: 'mmc4-2.jpg', matched_text_index: 2, matched_sim: 0.27 }, { image_name: 'mmc4-0.jpg', matched_text_index: 0, matched_sim: 0.12 }] },
  { text_list: ['Flashing the board takes a USB cable and a few seconds.'], image_info: [{ image_name: 'mmc4-0.jpg', matched_text_index: 0, matched_sim: 0.26 }] },
];
writeFileSync(root + 'interleaved/mmc4.jsonl', mmc4.map((r) => JSON.stringify(r)).join('\n') + '\n');
console.log('sample-data media rebuilt');
