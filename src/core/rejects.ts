/**
 * The reject sink: every record that cannot be used lands in `rejects.jsonl` with its
 * provenance and a reason code, and is counted. A long run of consecutive rejects from one
 * source means the data or config is broken, not the record: that stops the job.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Provenance } from './model.js';
import { Stats } from './stats.js';
import { ShardloomError } from './errors.js';

/** A reject: a record that cannot be used, with where it came from and why. */
export interface RejectRecord extends Provenance {
  reason: string;
  detail?: string;
}

export class Rejects {
  private readonly consecutive = new Map<string, number>();
  private stream: WriteStream | undefined;
  readonly records: RejectRecord[] = [];

  constructor(
    private readonly stats: Stats,
    path?: string,
    /** Consecutive rejects from one source that stop the run (0 = never). */
    private readonly maxConsecutive = 100,
    /** Keep records in memory too (tests, small runs). */
    private readonly keep = false,
  ) {
    if (path) this.stream = createWriteStream(path, { flags: 'w' });
  }

  reject(r: RejectRecord): void {
    this.stats.inc('rejects');
    this.stats.inc(`rejects.${r.reason}`);
    this.stats.incSource(r.source, 'rejects');
    if (this.keep) this.records.push(r);
    this.stream?.write(JSON.stringify(r) + '\n');
    const n = (this.consecutive.get(r.source) ?? 0) + 1;
    this.consecutive.set(r.source, n);
    if (this.maxConsecutive > 0 && n >= this.maxConsecutive) {
      throw new ShardloomError(
        'TOO_MANY_FAILURES',
        `source "${r.source}": ${n} records in a row were rejected (last: ${r.reason} at ${r.file} ${r.location}: ${r.detail ?? ''}). ` +
          `Your data or config is broken; see rejects.jsonl. (Raise run.maxConsecutiveRejects to tolerate more.)`,
      );
    }
  }

  /**
   * The sink for a source's second and later passes (mix.onExhausted: cycle): its records were written to
   * rejects.jsonl and counted on the first pass, and are the same records again, so this one only keeps the
   * breaker (a run of consecutive rejects still stops the job).
   */
  repeatPass(): Rejects {
    return new Rejects(new Stats(), undefined, this.maxConsecutive, false);
  }

  /** A record from `source` was used: the run of consecutive failures is broken. */
  ok(source: string): void {
    this.consecutive.set(source, 0);
  }

  async close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (s) await new Promise<void>((res, rej) => s.end((err?: Error | null) => (err ? rej(err) : res())));
  }
}
