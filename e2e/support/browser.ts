// A real headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` package
// (scripts/setup-browser.sh installs it; ACME_TS_CHROMIUM names another binary), driven by
// playwright-core. Screenshots go to e2e/artifacts/ (not committed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.ACME_TS_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', 'artifacts', 'dashboard');

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: run \`bash scripts/setup-browser.sh\` (installs Debian's chromium), or set ACME_TS_CHROMIUM to a Chromium binary`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Keeps a screenshot of the page as a test artifact: e2e/artifacts/dashboard/<name>.png. */
export async function keepScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The page's errors (uncaught exceptions, console errors) collected for an assertion. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/net::ERR|EventSource|Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  return errors;
}
