// Headless Debian Chromium for page tests, driven by playwright-core. The flags keep Chromium off
// the network (this machine's is closed: background fetches would fail at every start) and give
// each launch a fresh profile (playwright makes one per launch). Screenshots go under test-output/ (ignored by git).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(process.cwd(), 'test-output');

export interface HeadlessBrowser {
  browser: Browser;
  /** A new page; failing requests and page errors are collected in `problems`. */
  page(): Promise<Page>;
  problems: string[];
  close(): Promise<void>;
}

export async function launchChromium(): Promise<HeadlessBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems: string[] = [];
  return {
    browser,
    problems,
    async page() {
      const page = await browser.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? 'unknown'})`));
      return page;
    },
    async close() {
      await browser.close();
    },
  };
}

/** Saves a full-page screenshot as test-output/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
