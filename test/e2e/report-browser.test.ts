/**
 * The HTML report in a real browser: Debian's headless Chromium (`apt-get install chromium`) loads the
 * report of a run built to be off its target mix and is driven over the DevTools protocol (on a pipe, no
 * dependency). No console error, no exception, no failed load, no request other than file: and data:; every
 * plot and the contact sheet render, every image decodes, and the out-of-tolerance source is flagged.
 * Skipped, with a message saying why, only where Chromium is not installed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { tempDir } from '../helpers/tmp.js';
import { cli } from '../helpers/cli.js';

const CHROMIUM = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
if (!CHROMIUM) console.warn('report-browser.test.ts: SKIPPED — no Chromium (/usr/bin/chromium); `apt-get install chromium` (Debian) to run it');

/** A minimal DevTools-protocol client over --remote-debugging-pipe (fd 3 to the browser, fd 4 from it, NUL-separated JSON). */
class Cdp {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly events: { method: string; params: Record<string, unknown>; sessionId?: string }[] = [];
  private readonly listeners: ((e: { method: string; params: Record<string, unknown> }) => void)[] = [];
  private buf = '';

  constructor(private readonly proc: ChildProcess) {
    proc.once('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`chromium exited (${signal ?? code}) before answering`));
      this.waiting.clear();
    });
    const out = proc.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buf += chunk;
      let at;
      while ((at = this.buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buf.slice(0, at)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
        this.buf = this.buf.slice(at + 1);
        if (msg.id !== undefined) {
          const w = this.waiting.get(msg.id);
          this.waiting.delete(msg.id);
          if (msg.error) w?.reject(new Error(msg.error.message));
          else w?.resolve(msg.result);
        } else if (msg.method) {
          const e = { method: msg.method, params: msg.params ?? {}, sessionId: msg.sessionId };
          this.events.push(e);
          for (const l of this.listeners) l(e);
        }
      }
    });
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.next++;
    (this.proc.stdio[3] as Writable).write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  waitFor(method: string, timeoutMs: number): Promise<void> {
    if (this.events.some((e) => e.method === method)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
      this.listeners.push((e) => { if (e.method === method) { clearTimeout(timer); resolve(); } });
    });
  }
}

const dir = tempDir();
const out = join(dir, 'off-target');
const report = join(dir, 'report.html');
let browser: ChildProcess | undefined;
let profile: string | undefined;
let cdp: Cdp;
let session: string;
const evaluate = async <T>(expression: string): Promise<T> => {
  const r = await cdp.send<{ result: { value: T }; exceptionDetails?: unknown }>('Runtime.evaluate', { expression, returnByValue: true }, session);
  if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
  return r.result.value;
};

describe.skipIf(!CHROMIUM)('the HTML report in headless Chromium', () => {
  beforeAll(async () => {
    // Off target on purpose: half the tokens should come from 6 caption pairs that run dry at once.
    const sd = resolve('sample-data');
    const cfg = join(dir, 'off-target.yaml');
    writeFileSync(cfg, [
      'name: off-target', 'seed: 7', 'tokenizer:', '  name: internvl3', 'sources:',
      '  - name: captions', '    kind: caption', `    paths: ["${sd}/captions/00000.tar"]`, '    weight: 0.5',
      '  - name: obelics', '    kind: interleaved', `    paths: ["${sd}/interleaved/obelics.parquet"]`, `    imageStore: { type: dir, path: "${sd}/interleaved/images" }`, '    onMissingImage: drop', '    weight: 0.2',
      '  - name: clips', '    kind: video', `    paths: ["${sd}/video/manifest.jsonl"]`, '    minFrames: 4', '    maxFrames: 8', '    weight: 0.1',
      '  - name: web-text', '    kind: text', `    paths: ["${sd}/text/*.jsonl"]`, '    idField: id', '    weight: 0.2',
      'mix:', '  onExhausted: renormalize', 'pack:', '  maxTokens: 4096', 'images:', '  maxTiles: 6',
      'validate:', '  ratioTolerance: 0.02', '  maxRejectFraction: 0.5', '',
    ].join('\n'));
    const run = cli(['run', cfg, '--out', out, '--quiet'], { timeoutMs: 180_000 });
    expect(run.status, run.stderr).toBe(0);
    const stats = cli(['stats', out, '--html', report]);
    expect(stats.status, stats.stderr).toBe(0);

    profile = mkdtempSync(join(tmpdir(), 'shardloom-chromium-'));
    browser = spawn(CHROMIUM!, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-extensions', '--mute-audio', '--hide-scrollbars',
      `--user-data-dir=${profile}`, '--remote-debugging-pipe', '--window-size=1200,900', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true }); // its own process group: its helpers are stopped with it
    cdp = new Cdp(browser);
    const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    ({ sessionId: session } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true }));
    for (const m of ['Page.enable', 'Runtime.enable', 'Log.enable', 'Network.enable']) await cdp.send(m, {}, session);
    await cdp.send('Page.navigate', { url: `file://${report}` }, session);
    await cdp.waitFor('Page.loadEventFired', 60_000);
  });

  afterAll(async () => {
    const b = browser;
    if (b && b.exitCode === null && b.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20_000);
        b.once('exit', () => { clearTimeout(timer); resolve(); });
        b.kill();
      });
    }
    // Chromium's helper processes (renderer, crashpad) can outlive the browser and still write to the profile.
    if (b?.pid) try { process.kill(-b.pid, 'SIGKILL'); } catch { /* the group is gone */ }
    if (profile) {
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
      } catch (e) {
        console.warn(`could not remove the browser profile ${profile}: ${(e as Error).message}`);
      }
    }
  });

  test('loads with no console error, no exception, no failed or external request', () => {
    const ours = cdp.events.filter((e) => !e.sessionId || e.sessionId === session);
    const errors = [
      ...ours.filter((e) => e.method === 'Runtime.consoleAPICalled' && ['error', 'assert'].includes(e.params.type as string)).map((e) => JSON.stringify(e.params.args)),
      ...ours.filter((e) => e.method === 'Runtime.exceptionThrown').map((e) => JSON.stringify(e.params.exceptionDetails)),
      ...ours.filter((e) => e.method === 'Log.entryAdded' && (e.params.entry as { level: string }).level === 'error').map((e) => JSON.stringify(e.params.entry)),
      ...ours.filter((e) => e.method === 'Network.loadingFailed').map((e) => JSON.stringify(e.params)),
    ];
    expect(errors).toEqual([]);
    const urls = ours.filter((e) => e.method === 'Network.requestWillBeSent').map((e) => (e.params.request as { url: string }).url);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
  });

  test('every plot renders with its bars, and the contact sheet shows decoded images from every image source', async () => {
    const plots = await evaluate<Record<string, { bars: number; width: number }>>(`Object.fromEntries([...document.querySelectorAll('figure[id^=plot-]')].map((f) => [f.id, { bars: f.querySelectorAll('svg rect').length, width: f.querySelector('svg').getBoundingClientRect().width }]))`);
    for (const id of ['plot-share', 'plot-fill', 'plot-tokens', 'plot-tiles', 'plot-width', 'plot-height', 'plot-aspect']) {
      expect(plots[id], id).toBeDefined();
      expect(plots[id].bars, id).toBeGreaterThan(0);
      expect(plots[id].width, id).toBeGreaterThan(200);
    }
    const sheet = await evaluate<{ figures: number; sources: string[]; images: number; broken: number; captions: number; clips: number }>(`(() => {
      const figs = [...document.querySelectorAll('#contact-sheet figure.sheet')];
      const imgs = [...document.querySelectorAll('#contact-sheet img')];
      return { figures: figs.length, sources: [...new Set(figs.map((f) => f.dataset.source))].sort(), images: imgs.length,
        broken: imgs.filter((i) => !i.complete || i.naturalWidth !== 448).length, captions: document.querySelectorAll('#contact-sheet .caption').length,
        clips: document.querySelectorAll('#contact-sheet figure.clip').length };
    })()`);
    expect(sheet.sources).toEqual(['captions', 'clips', 'obelics']);
    expect(sheet.images).toBeGreaterThan(10);
    expect(sheet.broken).toBe(0);
    expect(sheet.clips).toBeGreaterThan(0);
    expect(sheet.captions).toBe(sheet.figures);
    // Round-robin: the first three entries come from three different sources.
    const first = await evaluate<string[]>(`[...document.querySelectorAll('#contact-sheet figure.sheet')].slice(0, 3).map((f) => f.dataset.source)`);
    expect(new Set(first).size).toBe(3);
  });

  test('the source off its target is flagged, in the summary line and in its row, visibly', async () => {
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8')) as { mixVerdict: { sources: Record<string, { withinTolerance: boolean }> }; packing: { fill: number } };
    const off = Object.entries(stats.mixVerdict.sources).filter(([, s]) => !s.withinTolerance).map(([n]) => n).sort();
    expect(off).toContain('captions');
    const v = await evaluate<{ text: string; visible: boolean; color: string; flaggedRows: string[]; fill: string }>(`(() => {
      const p = document.getElementById('mix-verdict');
      const r = p.getBoundingClientRect();
      return { text: p.textContent, visible: r.width > 0 && r.height > 0 && getComputedStyle(p).visibility === 'visible', color: getComputedStyle(p).color,
        flaggedRows: [...document.querySelectorAll('#share-table tr.outside td:first-child')].map((td) => td.textContent).sort(),
        fill: document.getElementById('packing-fill').firstChild.textContent };
    })()`);
    expect(v.visible).toBe(true);
    expect(v.text).toMatch(new RegExp(`⚠ ${off.length} of 4 sources outside ±2\\.00 points`));
    expect(v.text).toContain('captions (−');
    expect(v.color).toBe('rgb(192, 57, 43)');
    expect(v.flaggedRows).toEqual(off);
    expect(v.fill).toBe(`${(stats.packing.fill * 100).toFixed(2)} %`);
    const png = await cdp.send<{ data: string }>('Page.captureScreenshot', { format: 'png' }, session);
    const bytes = Buffer.from(png.data, 'base64');
    expect([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    writeFileSync(join(dir, 'report.png'), bytes);
  });
});
