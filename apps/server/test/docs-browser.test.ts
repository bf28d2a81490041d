import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './support/test-server.ts';

/** The Debian `chromium` package; playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = fileURLToPath(new URL('../../../test-results/docs-page.png', import.meta.url));

describe('the API docs page in a real browser', () => {
  it('lists the webhook operations in Swagger UI, and a screenshot is saved under test-results/', async (ctx) => {
    if (!existsSync(CHROMIUM)) ctx.skip(`no browser at ${CHROMIUM}: install the Debian chromium package (apt-get install -y chromium)`);
    const server = await startTestServer({ payoutWorker: false });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}/docs`);
      // Swagger UI renders each operation as .opblock with its path in data-path.
      const operation = (path: string) => page.locator(`.opblock-post .opblock-summary-path[data-path="${path}"]`);
      await operation('/v1/processor/events').waitFor({ timeout: 20_000 });
      expect(await operation('/v1/processor/events').count()).toBe(1);
      expect(await operation('/v1/processor/events/batch').count()).toBe(1);
      expect(await page.locator('.info .title').innerText()).toContain('restaurant-ledger');
      await operation('/v1/processor/events').click();
      await page.locator('.opblock.is-open .parameters-col_name', { hasText: 'webhook-signature' }).first().waitFor({ timeout: 10_000 });
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      expect(existsSync(SCREENSHOT)).toBe(true);
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
