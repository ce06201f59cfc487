import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { childEnv, repoRoot } from './processes.js';

/** Where e2e tests save screenshots (kept out of git; CI may keep them as artefacts). */
export const screenshotDir = join(repoRoot, 'test-output', 'screenshots');

/**
 * Debian's Chromium driven by playwright-core (`npx playwright install` cannot reach its CDN
 * here). The process is marked like every other test child, so the leak check sees it.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    env: childEnv(),
  });
}

/** Saves a full-page screenshot under test-output/screenshots. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
