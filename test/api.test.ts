/**
 * The public API is small and intentional: the package entry exports exactly these names (a new export is
 * a decision: add it here on purpose), importable from the built package as a user imports it.
 */
import { expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';

const API = [
  // running and checking a pipeline
  'runPipeline', 'loadConfig', 'parseConfig', 'pipelineSchema', 'configHash', 'ShardloomError', 'validateRun', 'formatMixVerdict',
  // reading shards
  'readShardRows', 'readShards', 'readShardMetadata', 'shardSchema',
  // many machines
  'resolveRank', 'mergeRuns', 'mergeStats', 'planJob',
  // the model and the stage contract
  'TOKENS_PER_TILE', 'TILE_SIZE', 'chain', 'stageContext',
  // the stages and their parts
  'openSources', 'mediaStages', 'planTiles', 'perImageMaxTiles', 'createCompute', 'createImageStore', 'loadTokenizer', 'createTokenizerPool',
  'tokenizeStage', 'chunkStage', 'chunkSample', 'mixAndPack', 'mixByTokens', 'packSamples', 'v2peStage', 'v2pePositions',
];

test('the package entry exports exactly the intended API, importable from the built package', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import * as s from 'shardloom'; console.log(Object.keys(s).sort().join(','))"], { encoding: 'utf8' });
  expect(out.trim().split(',')).toEqual([...API].sort());
});
