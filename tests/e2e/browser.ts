/**
 * Headless Chromium with WebGPU (SwiftShader when there is no GPU), and a page that fails the test
 * on any console error, uncaught exception, failed request or HTTP error.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer';
import type { Browser, Page } from 'puppeteer';

export const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors, failed requests and HTTP errors seen so far. */
  problems: string[];
}

// Lit prints this in development builds only; it is advice, not an error.
const IGNORED = [/Lit is in dev mode/];

/** Opens url in a new tab of the browser, or of a separate context (fresh storage) when given one. */
export async function openPage(
  browser: Pick<Browser, 'newPage'>,
  url: string,
  beforeLoad?: (page: Page) => Promise<void>,
): Promise<WatchedPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if ((msg.type() === 'error' || msg.type() === 'assert') && !IGNORED.some((re) => re.test(msg.text()))) {
      problems.push(`console.${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${(error as Error).message ?? error}`));
  page.on('requestfailed', (req) => problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.setViewport({ width: 1280, height: 900 });
  await beforeLoad?.(page);
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems };
}

/**
 * Where end-to-end tests save screenshots: docs/screenshots (the README's pictures) when
 * UPDATE_SCREENSHOTS=1, otherwise the git-ignored tests/artifacts/screenshots, so an ordinary
 * test run leaves the working tree clean.
 */
export const SCREENSHOT_DIR = join(
  import.meta.dirname,
  process.env.UPDATE_SCREENSHOTS ? '../../docs/screenshots' : '../artifacts/screenshots',
);
mkdirSync(SCREENSHOT_DIR, { recursive: true });
