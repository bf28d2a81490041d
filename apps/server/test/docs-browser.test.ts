import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it, type TestContext } from 'vitest';
import { buildOpenApiDocument } from '../src/openapi.ts';
import { HAVE_CHROMIUM, launchChromium, NO_CHROMIUM_REASON, watchPage } from './support/browser.ts';
import { startTestServer } from './support/test-server.ts';

const SCREENSHOT = fileURLToPath(new URL('../../../test-results/docs-page.png', import.meta.url));

/**
 * Opens /docs of a fresh server in Chromium and runs `check` on the page. Returns what went wrong in
 * the page meanwhile: uncaught errors, console errors, and any request to somewhere else than this
 * server (a validator badge, say).
 */
async function withDocsPage(ctx: TestContext, check: (page: Page) => Promise<void>): Promise<string[]> {
  if (!HAVE_CHROMIUM) ctx.skip(NO_CHROMIUM_REASON);
  const server = await startTestServer({ payoutWorker: false });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchPage(page, server.url);
    await page.goto(`${server.url}/docs`);
    await check(page);
    return problems;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Swagger UI renders every expanded operation with its examples: slow on a busy 2-core machine. */
const EXPAND_ALL_TIMEOUT_MS = 120_000;

describe('the API docs page in a real browser', () => {
  it('lists the webhook operations in Swagger UI, and a screenshot is saved under test-results/', async (ctx) => {
    const problems = await withDocsPage(ctx, async (page) => {
      // Swagger UI renders each operation as .opblock with its path in data-path.
      const operation = (path: string) => page.locator(`.opblock-post .opblock-summary-path[data-path="${path}"]`);
      await operation('/v1/processor/events').waitFor({ timeout: 20_000 });
      expect(await operation('/v1/processor/events').count()).toBe(1);
      expect(await operation('/v1/processor/events/batch').count()).toBe(1);
      expect(await page.locator('.info .title').innerText()).toContain('restaurant-ledger');
      await operation('/v1/processor/events').click();
      await page.locator('.opblock.is-open .parameters-col_name', { hasText: 'webhook-id' }).first().waitFor({ timeout: 10_000 });
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      expect(existsSync(SCREENSHOT)).toBe(true);
    });
    expect(problems).toEqual([]);
  });

  it('expands every operation with no console error and no resolver error', { timeout: EXPAND_ALL_TIMEOUT_MS }, async (ctx) => {
    const operationCount = Object.values(buildOpenApiDocument().paths ?? {}).flatMap((methods) => Object.keys(methods ?? {})).length;
    const problems = await withDocsPage(ctx, async (page) => {
      const summaries = page.locator('.opblock .opblock-summary-control');
      await summaries.first().waitFor({ timeout: 20_000 });
      expect(await summaries.count()).toBe(operationCount);
      for (const summary of await summaries.all()) await summary.click();
      await expect.poll(() => page.locator('.opblock.is-open').count(), { timeout: 60_000 }).toBe(operationCount);
      // Every expanded operation renders its responses (its refs resolved), and none shows a resolver error.
      await expect.poll(() => page.locator('.opblock.is-open .responses-wrapper').count(), { timeout: 60_000 }).toBe(operationCount);
      expect(await page.locator('.errors-wrapper').allInnerTexts()).toEqual([]);
      expect(await page.locator('.opblock.is-open').filter({ hasText: 'Could not resolve reference' }).count()).toBe(0);
    });
    expect(problems).toEqual([]);
  });
});
