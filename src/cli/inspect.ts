import type { CommandModule } from 'yargs';
import { ShardloomError } from '../core/errors.js';

interface Args { shard: string; row: number; json: boolean; tokenizer?: string; 'max-chars': number; 'tiles-out'?: string }

export function inspectCommand(setCode: (c: number) => void): CommandModule<object, Args> {
  return {
    command: 'inspect <shard>',
    describe: 'Decode one packed row of a shard: its samples, tokens as text, and (optionally) its tiles as image files',
    builder: (y) =>
      y
        .positional('shard', { type: 'string', demandOption: true, describe: 'A .parquet or .arrow shard' })
        .option('row', { type: 'number', default: 0, describe: 'Row index (0-based)' })
        .option('tokenizer', { type: 'string', describe: 'tokenizer.json to decode with (default: the one named in the shard metadata)' })
        .option('max-chars', { type: 'number', default: 2000, describe: 'Characters of text shown per sample (0 = all)' })
        .option('tiles-out', { type: 'string', describe: 'Write the row\'s tiles as image files into this directory' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the decoded row as JSON (per image: grid, tiles, V2PE δ, token and position spans, tile files)' })
        .example('$0 inspect out/sample/part-00000.parquet --row 3', 'Show the samples of row 3, with each image\'s grid and δ')
        .example('$0 inspect out/sample/part-00000.parquet --row 3 --tiles-out tiles/', '…and write its tiles as row00003-img000-tile00.jpg …'),
    handler: async (a) => {
      if (!Number.isInteger(a.row) || a.row < 0) throw new ShardloomError('USAGE', `Expected a non-negative integer for --row but received ${a.row}`);
      // Imported here, not at the top: `shardloom --help` and `--version` must not load the pipeline.
      const { inspectRow, formatImage } = await import('../shards/inspect.js');
      // Made here, one level at a time: a recursive mkdir under /proc never returns (see shards/output-dir.ts).
      if (a['tiles-out']) await (await import('../shards/output-dir.js')).makeDirectory(a['tiles-out'], 'tiles directory');
      const res = await inspectRow(a.shard, a.row, { tokenizerPath: a.tokenizer, maxChars: a['max-chars'], tilesOut: a['tiles-out'] });
      if (a.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
      else {
        process.stdout.write(`${a.shard} row ${a.row}: ${res.numTokens} tokens, ${res.samples.length} samples, ${res.numTiles} tiles\n`);
        for (const s of res.samples) {
          const images = res.images.filter((im) => im.sample === s.index).map((im) => formatImage(im) + '\n').join('');
          process.stdout.write(`\n── sample ${s.index}: ${s.id} [${s.source}] ${s.tokens} tokens, ${s.images} images\n${images}${s.text}\n`);
        }
        if (res.tileFiles.length) process.stdout.write(`\n${res.tileFiles.length} tiles written to ${a['tiles-out']}\n`);
      }
      setCode(0);
    },
  };
}
