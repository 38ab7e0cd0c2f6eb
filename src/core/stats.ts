/** Counters and small distributions collected while a run goes. */
export class Stats {
  readonly counters = new Map<string, number>();
  readonly bySource = new Map<string, Map<string, number>>();

  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  incSource(source: string, name: string, by = 1): void {
    let m = this.bySource.get(source);
    if (!m) this.bySource.set(source, (m = new Map()));
    m.set(name, (m.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  getSource(source: string, name: string): number {
    return this.bySource.get(source)?.get(name) ?? 0;
  }

  /**
   * The counters as a source's second and later passes see them (mix.onExhausted: cycle): what describes the
   * input — documents read, records rejected — was counted on its first pass and is not counted again (the
   * same records are read again, not new ones); everything else (images tiled and dropped, clips, frames)
   * counts in every pass, as the shards hold it every time.
   */
  repeatPass(): Stats {
    return new RepeatPassStats(this);
  }

  toJSON(): { counters: Record<string, number>; sources: Record<string, Record<string, number>> } {
    const sources: Record<string, Record<string, number>> = {};
    for (const [s, m] of [...this.bySource].sort(([a], [b]) => a.localeCompare(b))) sources[s] = Object.fromEntries([...m].sort());
    return { counters: Object.fromEntries([...this.counters].sort()), sources };
  }
}

/** Counters that describe the input rather than the output. */
const inputCounter = (name: string) => name === 'documents' || name === 'rejects' || name.startsWith('rejects.');

class RepeatPassStats extends Stats {
  constructor(private readonly of: Stats) {
    super();
  }
  override inc(name: string, by = 1): void {
    if (!inputCounter(name)) this.of.inc(name, by);
  }
  override incSource(source: string, name: string, by = 1): void {
    if (!inputCounter(name)) this.of.incSource(source, name, by);
  }
  override get(name: string): number {
    return this.of.get(name);
  }
  override getSource(source: string, name: string): number {
    return this.of.getSource(source, name);
  }
  override repeatPass(): Stats {
    return this;
  }
}
