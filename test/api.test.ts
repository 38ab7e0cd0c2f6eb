import { expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';

test('the package entry exports the library API, importable from the built package', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import * as s from 'shardloom'; console.log(Object.keys(s).sort().join(','))"], { encoding: 'utf8' });
  for (const name of ['runPipeline', 'loadConfig', 'readShards', 'readShardRows', 'validateRun', 'planTiles', 'v2pePositions', 'mixByTokens', 'packSamples', 'loadTokenizer']) {
    expect(out.trim().split(',')).toContain(name);
  }
});
