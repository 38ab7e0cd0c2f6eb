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

  toJSON(): { counters: Record<string, number>; sources: Record<string, Record<string, number>> } {
    const sources: Record<string, Record<string, number>> = {};
    for (const [s, m] of [...this.bySource].sort(([a], [b]) => a.localeCompare(b))) sources[s] = Object.fromEntries([...m].sort());
    return { counters: Object.fromEntries([...this.counters].sort()), sources };
  }
}
