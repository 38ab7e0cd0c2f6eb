/**
 * Progress and liveness: at a fixed interval, one line with records read, tokens, rows, shards, rate,
 * the last record seen and how long ago — so a job that stalls shows it. On a TTY the line is redrawn in
 * place; otherwise plain log lines (for Slurm / Kubernetes logs).
 */
import type { Provenance } from './model.js';

export class Progress {
  records = 0;
  rejects = 0;
  samples = 0;
  tokens = 0;
  rows = 0;
  shards = 0;
  last: Provenance | undefined;
  private lastAt = Date.now();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly intervalS: number,
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
    private readonly enabled = true,
  ) {}

  start(): void {
    if (!this.enabled) return;
    const ms = this.out.isTTY ? Math.min(1000, this.intervalS * 1000) : this.intervalS * 1000;
    this.timer = setInterval(() => this.print(), ms);
    this.timer.unref();
  }

  record(p: Provenance): void {
    this.records++;
    this.last = p;
    this.lastAt = Date.now();
  }

  line(): string {
    const s = (Date.now() - this.started) / 1000;
    const rate = s > 0 ? this.records / s : 0;
    const tokRate = s > 0 ? this.tokens / s : 0;
    const idle = ((Date.now() - this.lastAt) / 1000).toFixed(0);
    const last = this.last ? `${this.last.source} ${this.last.file} ${this.last.location}` : '-';
    return (
      `records ${this.records} (${rate.toFixed(0)}/s) rejects ${this.rejects} samples ${this.samples} ` +
      `tokens ${fmt(this.tokens)} (${fmt(tokRate)}/s) rows ${this.rows} shards ${this.shards} ` +
      `elapsed ${s.toFixed(0)}s | last: ${last} (${idle}s ago)`
    );
  }

  print(): void {
    if (this.out.isTTY) {
      this.out.write('\r\x1b[2K' + this.line());
      this.drawn = true;
    } else {
      this.out.write(`[shardloom] progress ${this.line()}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

export function fmt(n: number): string {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(0);
}
