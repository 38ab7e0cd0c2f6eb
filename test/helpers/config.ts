import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ShardloomError } from '../../src/core/errors.js';

/** The smallest valid pipeline: one text source. */
export const baseYaml = 'sources:\n  - name: a\n    kind: text\n    paths: [x.jsonl]\n';

/** The ShardloomError parsing `yaml` (as file p.yaml) gives; fails the test when it parses. */
export function configErrorOf(yaml: string): ShardloomError {
  try {
    parseConfig(yaml, 'p.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ShardloomError);
    return e as ShardloomError;
  }
  throw new Error('expected a config error');
}
