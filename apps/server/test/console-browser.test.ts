import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDueEvents, projectOutboundEvents } from '@restaurant-ledger/core';
import { deficitOf, formatCount, formatMoney, type MinorUnits } from '../../console/src/format.ts';
import { HAVE_CHROMIUM, launchChromium, NO_CHROMIUM_REASON, watchPage } from './support/browser.ts';
import { type Receiver, startReceiver } from './support/receiver.ts';
import { EXAMPLE_EVENT, request, sealLedger, startTestServer, type TestServer } from './support/test-server.ts';

/**
 * The ops console in real Chromium against a real server on real PostgreSQL, seeded through the
 * webhook API: every page renders, every number shown is the API's for the same data, the console
 * sends GET requests only, and the API key never shows up in a URL, the server's log, or the page
 * after signing out (nor a subscription's secret in any page).
 */

const KEY = 'console-test-key-5f1c9a7e';
const CURRENCY = 'PEN';
const DAY_MS = 86_400_000;
const STEP_TIMEOUT_MS = 120_000;
/** Screenshots land in test-results/console/; with UPDATE_CONSOLE_SCREENSHOTS=1 also in docs/console/. */
const SCREENSHOT_DIRS = [
  fileURLToPath(new URL('../../../test-results/console/', import.meta.url)),
  ...(process.env.UPDATE_CONSOLE_SCREENSHOTS === '1' ? [fileURLToPath(new URL('../../../docs/console/', import.meta.url))] : []),
];

/** Chromium reports a 401 answer as a console error; only the wrong-key step provokes one. */
const WRONG_KEY_CONSOLE_ERROR = /status of 401/;

const isoDaysAgo = (days: number): string => new Date(Date.now() - days * DAY_MS).toISOString();
const today = (): string => new Date().toISOString().slice(0, 10);

let server: TestServer;
let receiver: Receiver;
/** Subscription secrets, shown by the API once at creation: the console must never show them. */
const secrets: string[] = [];
let browser: Browser;
let page: Page;
let problems: string[];
const logLines: string[] = [];
const requests: { method: string; url: string; authorization: string | undefined }[] = [];

const api = async <T = any>(path: string): Promise<T> => {
  const response = await request(`${server.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
  expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
  return response.body.data as T;
};

async function post(path: string, body: unknown, method?: string): Promise<Record<string, any>> {
  const response = await request(`${server.url}${path}`, { body, headers: { authorization: `Bearer ${KEY}` }, ...(method !== undefined && { method }) });
  expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
  return response.body.data;
}

const charge = (eventId: string, restaurant: string, occurredAt: string, amount: number, fee: number) => ({
  ...EXAMPLE_EVENT,
  event_id: eventId,
  restaurant_id: restaurant,
  occurred_at: occurredAt,
  amount,
  fee,
  metadata: { payment_id: `pay_${eventId}` },
});

/**
 * Four restaurants in PEN: one with matured, refunded and pending charges; one with a reserve
 * still held; one paid out and then disputed into deficit; and a payout run between them.
 */
async function seed(): Promise<void> {
  const event = (body: unknown) => post('/v1/processor/events', body);
  // Two subscribers: one receiving payouts and disputes (its first attempt answered 503), one disabled.
  const active = await post('/v1/subscriptions', { url: receiver.url, event_types: ['payout.created', 'dispute.opened'], description: 'finance desk' });
  const disabled = await post('/v1/subscriptions', { url: receiver.url, description: 'old dashboard' });
  secrets.push(active.secret, disabled.secret);
  await post(`/v1/subscriptions/${disabled.subscription_id}`, undefined, 'DELETE');
  receiver.script.push({ status: 503 });
  await post('/v1/restaurants', { restaurant_id: 'res_cons_reserve', name: 'Reserva Sur', reserve_percent: 1000, reserve_days: 30 });
  await event(charge('con_a1', 'res_cons_lima', '2025-12-01T12:00:00Z', 12000, 600));
  await event(charge('con_a2', 'res_cons_lima', '2025-12-05T19:30:00Z', 25000, 1200));
  await event({ ...charge('con_a3', 'res_cons_lima', '2025-12-06T10:00:00Z', 3000, 0), event_type: 'refund_succeeded', metadata: { charge_event_id: 'con_a2' } });
  await event(charge('con_b1', 'res_cons_reserve', isoDaysAgo(10), 20000, 500));
  await event(charge('con_c1', 'res_cons_deficit', '2025-12-02T09:00:00Z', 10000, 300));
  const { run_id } = await post('/v1/payouts/run', { currency: CURRENCY, as_of: today(), min_amount: 0 });
  for (let i = 0; i < 400 && !['completed', 'failed'].includes((await api(`/v1/payouts/runs/${run_id}`)).status); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect((await api(`/v1/payouts/runs/${run_id}`)).status).toBe('completed');
  // After the payout: a dispute takes res_cons_deficit below zero, a fresh charge stays pending.
  await event({
    ...charge('con_c2', 'res_cons_deficit', isoDaysAgo(0.01), 4000, 1500),
    event_type: 'dispute_opened',
    metadata: { dispute_id: 'dp_cons_1', charge_event_id: 'con_c1' },
  });
  await event(charge('con_a4', 'res_cons_lima', isoDaysAgo(1), 8000, 240));
  await event(charge('con_d1', 'res_cons_cusco', '2025-12-03T13:15:00Z', 5050, 150));
  await deliverOutboundEvents(active.subscription_id);
  // The chain sealed, then one more charge left unsealed.
  await sealLedger(server, 5);
  await event(charge('con_d2', 'res_cons_cusco', isoDaysAgo(0.5), 1000, 30));
}

/** What the server's background deliverer does (a test server runs none): project, then send until nothing is pending. */
async function deliverOutboundEvents(subscriptionId: string): Promise<void> {
  const signal = new AbortController().signal;
  await projectOutboundEvents(server.ledger);
  await projectOutboundEvents(server.ledger);
  for (let i = 0; i < 400; i += 1) {
    await deliverDueEvents(server.ledger, 'console-test', signal);
    const pending = await api<{ items: unknown[] }>(`/v1/subscriptions/${subscriptionId}/deliveries?status=pending`);
    if (pending.items.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('deliveries still pending');
}

async function screenshot(name: string): Promise<void> {
  for (const dir of SCREENSHOT_DIRS) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: `${dir}${name}.png`, fullPage: true });
  }
}

/** The text and exact minor units a Money element shows. */
async function money(locator: ReturnType<Page['locator']>): Promise<{ text: string; minor: string | null }> {
  const element = locator.locator('.money');
  return { text: (await element.innerText()).trim(), minor: await element.getAttribute('data-minor') };
}

const shown = (amount: MinorUnits, currency = CURRENCY) => ({ text: formatMoney(amount, currency), minor: String(amount) });

describe.skipIf(!HAVE_CHROMIUM)('the ops console in a real browser', () => {
  beforeAll(async () => {
    // The server's whole log (request lines included), to prove the key is never written there.
    const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    receiver = await startReceiver();
    server = await startTestServer({
      apiKeys: [KEY],
      logger,
      ledger: { outbound: { allowedHosts: ['127.0.0.1'], timeoutMs: 2_000, retryBaseMs: 10, retryCapMs: 50, maxAttempts: 5 } },
    });
    await seed();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    problems = watchPage(page, server.url, [WRONG_KEY_CONSOLE_ERROR]);
    page.on('request', (sent) => requests.push({ method: sent.method(), url: sent.url(), authorization: sent.headers().authorization }));
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await receiver?.close();
  });

  it('asks for the key, refuses a wrong one with a clear message, and opens on the right one', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.goto(`${server.url}/console/`);
    const keyField = page.locator('input[name="api-key"]');
    await keyField.waitFor();
    await screenshot('login');
    await keyField.fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#login-error').innerText()).toContain('not accepted');
    await keyField.fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#restaurants').waitFor();
    expect(await page.evaluate<string[]>('Object.keys(sessionStorage)')).toEqual(['restaurant-ledger.console.api-key']);
    expect(await page.evaluate<string[]>('Object.keys(localStorage)')).toEqual([]);
    expect(await page.context().cookies()).toEqual([]);
  });

  it('lists restaurants with the balances the API gives, and the deficit the deficits report gives', { timeout: STEP_TIMEOUT_MS }, async () => {
    const report = await api<{ items: { restaurant_id: string }[] }>(`/v1/reports/balances?currency=${CURRENCY}`);
    const deficits = await api<{ items: { restaurant_id: string; deficit: number }[] }>(`/v1/reports/deficits?currency=${CURRENCY}`);
    const rows = page.locator('#restaurants tbody tr');
    await expect.poll(() => rows.count()).toBe(report.items.length);
    expect(report.items.map((item) => item.restaurant_id).sort()).toEqual(['res_cons_cusco', 'res_cons_deficit', 'res_cons_lima', 'res_cons_reserve']);
    for (const { restaurant_id } of report.items) {
      const balance = await api(`/v1/restaurants/${restaurant_id}/balance?currency=${CURRENCY}`);
      const row = page.locator(`#restaurants tr[data-restaurant-id="${restaurant_id}"]`);
      for (const field of ['available', 'pending', 'reserved', 'total'] as const) {
        expect(await money(row.locator(`[data-field="${field}"]`)), `${restaurant_id} ${field}`).toEqual(shown(balance[field]));
      }
      const deficit = deficits.items.find((item) => item.restaurant_id === restaurant_id)?.deficit ?? 0;
      expect(String(deficitOf(balance.available))).toBe(String(deficit));
      expect(await money(row.locator('[data-field="deficit"]')), `${restaurant_id} deficit`).toEqual(shown(deficit));
    }
    // The seed reaches every kind of balance: pending, reserved and a deficit all show.
    expect(deficits.items.map((item) => [item.restaurant_id, item.deficit])).toEqual([['res_cons_deficit', 5500]]);
    expect((await api(`/v1/restaurants/res_cons_reserve/balance?currency=${CURRENCY}`)).reserved).toBe(2000);
    expect((await api(`/v1/restaurants/res_cons_lima/balance?currency=${CURRENCY}`)).pending).toBe(7760);
    await screenshot('restaurants');
  });

  it("shows a restaurant's balance, its statement line by line, and the running balance chart", { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.locator('#restaurants a', { hasText: 'res_cons_lima' }).click();
    await page.locator('#statement').waitFor();
    const balance = await api(`/v1/restaurants/res_cons_lima/balance?currency=${CURRENCY}`);
    for (const field of ['available', 'pending', 'reserved', 'total'] as const) {
      expect(await money(page.locator(`#balance [data-field="${field}"]`)), field).toEqual(shown(balance[field]));
    }
    expect(await money(page.locator('#balance [data-field="deficit"]'))).toEqual(shown(0));
    const statement = await api<{ items: { entry_id: string; amount: number; running_balance: number }[] }>(
      `/v1/restaurants/res_cons_lima/statement?currency=${CURRENCY}`,
    );
    const rows = page.locator('#statement tbody tr');
    expect(await rows.count()).toBe(statement.items.length);
    for (const [index, line] of statement.items.entries()) {
      const row = rows.nth(index);
      expect(await row.getAttribute('data-entry-id')).toBe(line.entry_id);
      expect(await money(row.locator('[data-field="amount"]'))).toEqual(shown(line.amount));
      expect(await money(row.locator('[data-field="running_balance"]'))).toEqual(shown(line.running_balance));
    }
    // uPlot draws on a canvas, one point per statement line.
    expect(await page.locator('.chart').getAttribute('data-points')).toBe(String(statement.items.length));
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    await screenshot('restaurant');
  });

  it('lists payout runs, and a run with its payouts and their items as the API has them', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.getByRole('link', { name: 'Payout runs' }).click();
    const runs = await api<{ items: { run_id: string; created: number }[] }>('/v1/payouts/runs');
    expect(runs.items).toHaveLength(1);
    const [run] = runs.items;
    const runRow = page.locator(`#runs tr[data-run-id="${run!.run_id}"]`);
    await runRow.waitFor();
    expect(await runRow.locator('[data-field="created"]').innerText()).toBe(String(run!.created));
    await screenshot('payout-runs');

    await runRow.locator('a').click();
    await page.locator('#payouts').waitFor();
    const payouts = await api<{ items: { payout_id: string; amount: number; items: { type: string; amount: number }[] }[] }>(
      `/v1/payouts?run_id=${run!.run_id}`,
    );
    expect(payouts.items).toHaveLength(run!.created);
    for (const payout of payouts.items) {
      const row = page.locator(`#payouts tr[data-payout-id="${payout.payout_id}"]`);
      expect(await money(row.locator('[data-field="amount"]'))).toEqual(shown(payout.amount));
      for (const item of payout.items) expect(await money(row.locator(`[data-item="${item.type}"]`))).toEqual(shown(item.amount));
    }
    await screenshot('payout-run');

    const first = payouts.items[0]!;
    await page.locator(`#payouts tr[data-payout-id="${first.payout_id}"] a`).first().click();
    await page.locator('#payout-items').waitFor();
    expect(await money(page.locator('#payout [data-field="amount"]'))).toEqual(shown(first.amount));
    for (const item of first.items) expect(await money(page.locator(`#payout-items [data-item="${item.type}"]`))).toEqual(shown(item.amount));
  });

  it('lists disputes with the amounts and status the API has', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.getByRole('link', { name: 'Disputes' }).click();
    const disputes = await api<{ items: { dispute_id: string; amount: number; fee: number; status: string }[] }>('/v1/disputes');
    expect(disputes.items).toHaveLength(1);
    const row = page.locator(`#disputes tr[data-dispute-id="${disputes.items[0]!.dispute_id}"]`);
    await row.waitFor();
    expect(await money(row.locator('[data-field="amount"]'))).toEqual(shown(disputes.items[0]!.amount));
    expect(await money(row.locator('[data-field="fee"]'))).toEqual(shown(disputes.items[0]!.fee));
    expect(await row.locator('.status').innerText()).toBe(disputes.items[0]!.status);
    await screenshot('disputes');
  });

  it('lists subscriptions without their secrets, and a delivery log as the API has it', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    const subscriptions = await api<{ items: { subscription_id: string; url: string; status: string; event_types: string[] }[] }>('/v1/subscriptions');
    expect(subscriptions.items.map((item) => item.status)).toEqual(['active', 'disabled']);
    const rows = page.locator('#subscriptions tbody tr');
    await expect.poll(() => rows.count()).toBe(subscriptions.items.length);
    for (const subscription of subscriptions.items) {
      const row = page.locator(`#subscriptions tr[data-subscription-id="${subscription.subscription_id}"]`);
      expect(await row.locator('[data-field="url"]').innerText()).toBe(subscription.url);
      expect(await row.locator('.status').innerText()).toBe(subscription.status);
      expect(await row.locator('[data-field="event_types"]').innerText()).toBe(
        subscription.event_types.length === 0 ? 'every type' : subscription.event_types.join(', '),
      );
    }
    for (const secret of secrets) expect(await page.content()).not.toContain(secret);
    await screenshot('subscriptions');

    const [active] = subscriptions.items;
    await page.locator(`#subscriptions tr[data-subscription-id="${active!.subscription_id}"] a`).click();
    await page.locator('#deliveries').waitFor();
    const deliveries = await api<{ items: { delivery_id: string; status: string; attempts: number; attempt_limit: number; log: { outcome: string }[] }[] }>(
      `/v1/subscriptions/${active!.subscription_id}/deliveries`,
    );
    // Payouts created and the dispute, every one delivered; the first attempt of all was answered 503.
    expect(deliveries.items.length).toBeGreaterThan(1);
    expect(deliveries.items.every((delivery) => delivery.status === 'delivered')).toBe(true);
    expect(deliveries.items.flatMap((delivery) => delivery.log.map((attempt) => attempt.outcome))).toContain('http_error');
    expect(await page.locator('#deliveries tbody tr').count()).toBe(deliveries.items.length);
    for (const delivery of deliveries.items) {
      const row = page.locator(`#deliveries tr[data-delivery-id="${delivery.delivery_id}"]`);
      expect(await row.locator('td > .status').innerText()).toBe(delivery.status);
      expect(await row.locator('[data-field="attempts"]').innerText()).toBe(`${delivery.attempts} / ${delivery.attempt_limit}`);
      const outcomes = await row.locator('[data-field="log"] li').evaluateAll((items) => items.map((item) => item.getAttribute('data-outcome')));
      expect(outcomes).toEqual(delivery.log.map((attempt) => attempt.outcome));
    }
    for (const secret of secrets) expect(await page.content()).not.toContain(secret);
    await screenshot('subscription');
  });

  it('shows the integrity report and the hash chain verification as the API gives them', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.getByRole('link', { name: 'Integrity' }).click();
    const report = await api<{ healthy: boolean; items: unknown[] }>('/v1/reports/integrity');
    const verdict = page.locator('#verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-healthy')).toBe(String(report.healthy));
    expect(report.healthy).toBe(true);
    expect(await page.locator('#integrity tbody tr').count()).toBe(report.items.length);

    const chainVerdict = page.locator('#chain-verdict');
    await chainVerdict.waitFor();
    const chain = await api<Record<string, any>>('/v1/ledger/verify');
    expect(chain).toMatchObject({ ok: true, first_broken: null });
    expect(chain.last_block).toBeGreaterThan(1);
    expect(chain.unsealed_entries).toBeGreaterThan(0);
    expect(await chainVerdict.getAttribute('data-ok')).toBe('true');
    const field = (name: string) => page.locator(`#chain [data-field="${name}"]`);
    expect(await field('sealed_through_entry_id').innerText()).toBe(chain.sealed_through_entry_id);
    expect(await field('last_hash').innerText()).toBe(chain.last_hash);
    for (const name of ['last_block', 'blocks_checked', 'entries_checked', 'unsealed_entries']) {
      expect(await field(name).innerText(), name).toBe(formatCount(chain[name]));
    }
    expect(await field('first_broken').innerText()).toBe('none');
    // The lag grows while the oldest unsealed entry waits: the page read it before this answer.
    const lagShown = Number(await field('sealing_lag_seconds').getAttribute('data-seconds'));
    expect(lagShown).toBeGreaterThan(0);
    expect(lagShown).toBeLessThanOrEqual(chain.sealing_lag_seconds);
    await screenshot('integrity');
  });

  it('forgets the key on sign-out: back to the form, nothing in storage or in the page', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.locator('#logout').click();
    await page.locator('input[name="api-key"]').waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    expect(await page.content()).not.toContain(KEY);
    expect(await page.locator('input[name="api-key"]').inputValue()).toBe('');
  });

  it('sent GET requests only, kept the key out of every URL and the server log, and had no errors', () => {
    expect(problems).toEqual([]);
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.filter((sent) => sent.method !== 'GET')).toEqual([]);
    expect(requests.filter((sent) => sent.url.includes(KEY) || decodeURIComponent(sent.url).includes(KEY))).toEqual([]);
    // The key travels in the Authorization header of API reads, and nowhere else.
    const withKey = requests.filter((sent) => sent.authorization === `Bearer ${KEY}`);
    expect(withKey.length).toBeGreaterThan(5);
    expect(withKey.every((sent) => new URL(sent.url).pathname.startsWith('/v1/'))).toBe(true);
    expect(logLines.length).toBeGreaterThan(requests.length / 2);
    expect(logLines.filter((line) => line.includes(KEY))).toEqual([]);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('the ops console on a server with no API keys', () => {
  it('says the server is open and shows the pages without a sign-in', { timeout: STEP_TIMEOUT_MS }, async () => {
    const open = await startTestServer({ payoutWorker: false });
    const openBrowser = await launchChromium();
    try {
      const openPage = await openBrowser.newPage();
      const openProblems = watchPage(openPage, open.url);
      await request(`${open.url}/v1/processor/events`, { body: charge('open_1', 'res_open', '2025-12-01T12:00:00Z', 12000, 600) });
      await openPage.goto(`${open.url}/console/#/restaurants?currency=PEN`);
      await openPage.locator('#restaurants tr[data-restaurant-id="res_open"]').waitFor();
      expect(await openPage.locator('#open-mode').innerText()).toContain('no API keys configured');
      expect(await openPage.locator('input[name="api-key"]').count()).toBe(0);
      expect(await openPage.locator('#logout').count()).toBe(0);
      expect(openProblems).toEqual([]);
    } finally {
      await openBrowser.close();
      await open.close();
    }
  });
});

describe('the console is served with a strict policy', () => {
  let plain: TestServer;
  beforeAll(async () => {
    plain = await startTestServer({ apiKeys: [KEY], payoutWorker: false });
  });
  afterAll(() => plain.close());

  it('answers its page, script and styles with their content types, self-only CSP, and cache headers', async () => {
    const redirect = await fetch(`${plain.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    const index = await fetch(`${plain.url}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const policy = index.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toMatch(/unsafe-|\*|https?:/);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${plain.url}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-security-policy')).toBe(policy);
    }
  });

  it('tells the page a key is needed, and answers a missing file in the envelope', async () => {
    const config = await fetch(`${plain.url}/console/config.json`);
    expect(await config.json()).toEqual({ api_key_required: true });
    expect(config.headers.get('cache-control')).toBe('no-store');
    const missing = await request(`${plain.url}/console/nope.js`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('writes nothing: a form POST to the console is refused', async () => {
    const posted = await request(`${plain.url}/console/`, { method: 'POST', rawBody: `api-key=${KEY}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(posted.status).toBe(404);
  });
});

if (!HAVE_CHROMIUM) console.warn(`console browser tests skipped: ${NO_CHROMIUM_REASON}`);
