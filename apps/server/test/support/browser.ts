import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** The Debian `chromium` package; playwright-core drives it and downloads no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the browser tests can run here; .ci/run installs the package, so in CI they do. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const NO_CHROMIUM_REASON = `no browser at ${CHROMIUM}: install the Debian chromium package (apt-get install -y chromium)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_LAUNCH_ARGS });
}

/**
 * Collects what goes wrong in `page` from now on: uncaught errors, console errors, requests that
 * failed, and any request to somewhere other than `origin` (a validator badge, a font CDN…).
 * `expected` console errors (a matching regex) are left out, for tests that provoke one.
 */
export function watchPage(page: Page, origin: string, expected: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !expected.some((pattern) => pattern.test(message.text()))) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) problems.push(`outside request: ${request.url()}`);
  });
  return problems;
}
