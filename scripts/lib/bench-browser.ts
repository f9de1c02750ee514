/**
 * The bench page in headless Chromium: builds the site with Vite's JS API, serves the build on
 * 127.0.0.1 (WebGPU needs a secure context), opens bench.html in the system Chromium with WebGPU
 * and hands the caller a small driver for window.attnBench. Everything is torn down afterwards.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import type { Page } from 'puppeteer';
import { build, preview } from 'vite';
import type { BenchCard } from '../../src/core/bench-card';
import type { ProfileConfig, ProfileResult } from '../../src/core/profile-report';
import type { ProfileProgress } from '../../src/gpu/profile';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium';

export interface BenchPage {
  run(config: ProfileConfig, onProgress?: (p: ProfileProgress) => void): Promise<ProfileResult>;
  /** PNGs of the time and GFLOP/s plots of `result`, keyed by file name. */
  plots(result: ProfileResult): Promise<Record<string, Buffer>>;
  /** The benchmark card of the page's last run (`result`, as the driver holds it), made on the page's device. */
  card(result: ProfileResult, source: string): Promise<BenchCard | null>;
}

export interface BenchPageOptions {
  /** Called instead of throwing when there is no Chromium to launch; withBenchPage then returns null. */
  onMissing?: (why: string) => void;
}

export async function withBenchPage<T>(use: (page: BenchPage) => Promise<T>, options: BenchPageOptions = {}): Promise<T | null> {
  if (!existsSync(CHROMIUM)) {
    const why = `no Chromium at ${CHROMIUM} (set PUPPETEER_EXECUTABLE_PATH)`;
    if (options.onMissing) {
      options.onMissing(why);
      return null;
    }
    throw new Error(why);
  }
  const outDir = mkdtempSync(join(tmpdir(), 'attn-bench-'));
  await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false },
  });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // A long sweep is one evaluate() call: allow it an hour.
    protocolTimeout: 3_600_000,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  try {
    const address = server.httpServer.address();
    if (!address || typeof address === 'string') throw new Error('preview server has no TCP address');
    const page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warn') process.stderr.write(`\n[page ${msg.type()}] ${msg.text()}\n`);
    });
    page.on('pageerror', (error) => process.stderr.write(`\n[page error] ${(error as Error).message}\n`));
    await page.setViewport({ width: 1600, height: 1000, deviceScaleFactor: 1 });
    await page.goto(`http://127.0.0.1:${address.port}/bench.html`, { waitUntil: 'load' });
    return await use(driver(page));
  } finally {
    await browser.close();
    await new Promise<void>((done) => server.httpServer.close(() => done()));
    rmSync(outDir, { recursive: true, force: true });
  }
}

function driver(page: Page): BenchPage {
  return {
    async run(config, onProgress) {
      await page.evaluate(() => window.attnBench.ready.then(() => undefined));
      let finished = false;
      const poll = (async () => {
        while (!finished) {
          await new Promise((r) => setTimeout(r, 1000));
          const p = await page.evaluate(() => window.attnBench.progress()).catch(() => null);
          if (p && !finished) onProgress?.(p);
        }
      })();
      try {
        // The command has checked the sweep's memory and time against its own limits (--max-minutes).
        return await page.evaluate((c) => window.attnBench.run(c, { demandChecked: true }), config);
      } finally {
        finished = true;
        await poll;
      }
    },
    async card(result, source) {
      const card = await page.evaluate((s) => window.attnBench.card(s), source);
      // The driver's copy carries the notes added here.
      return card && { ...card, result };
    },
    async plots(result) {
      await page.evaluate((r) => window.attnBench.show(r), result);
      const files: Record<string, Buffer> = {};
      for (const [kind, name] of [
        ['time', 'scaling.png'],
        ['gflops', 'gflops.png'],
      ] as const) {
        const url = await page.evaluate((k) => window.attnBench.plotPng(k), kind);
        if (url) files[name] = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
      }
      return files;
    },
  };
}
