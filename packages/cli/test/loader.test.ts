import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_PROBLEMS, exitCodeFor, formatSummary, loadEvents, type LoadSummary } from '../src/index.ts';
import { EVENTS_FILE, peerEventsFile, readEvents, type WireEvent, writeTempEvents } from './support/event-files.ts';
import { ledgerCommand } from './support/ledger-command.ts';

/** Late enough that every sale in the sample file has matured (they end on 2025-12-31, 7 days). */
const BALANCE_AS_OF = '2026-01-31';
const API_KEY = 'key_cli_test';
const WEBHOOK_SECRET = `whsec_${Buffer.from('restaurant-ledger cli test secret').toString('base64')}`;

interface Pair {
  restaurant_id: string;
  currency: string;
}

function pairsOf(events: readonly WireEvent[]): Pair[] {
  const keys = new Set(events.map((e) => `${e.restaurant_id} ${e.currency}`));
  return [...keys].map((key) => {
    const [restaurant_id = '', currency = ''] = key.split(' ');
    return { restaurant_id, currency };
  });
}

async function balancesOf(url: string, pairs: readonly Pair[]): Promise<Record<string, unknown>> {
  const balances: Record<string, unknown> = {};
  for (const { restaurant_id, currency } of pairs) {
    const response = await request(`${url}/v1/restaurants/${restaurant_id}/balance?currency=${currency}&as_of=${BALANCE_AS_OF}`);
    expect(response.status).toBe(200);
    const { available, pending, total } = response.body.data;
    balances[`${restaurant_id} ${currency}`] = { available, pending, total };
  }
  return balances;
}

/** What the ledger's rules say each balance must be once every distinct event is recorded. */
function expectedTotals(events: readonly WireEvent[]): Record<string, number> {
  const distinct = new Map(events.map((e) => [e.event_id, e]));
  const totals: Record<string, number> = {};
  for (const event of distinct.values()) {
    const key = `${event.restaurant_id} ${event.currency}`;
    const fee = event.fee ?? 0;
    const delta = event.event_type === 'charge_succeeded' ? event.amount - fee : event.event_type === 'refund_succeeded' ? -event.amount - fee : 0;
    totals[key] = (totals[key] ?? 0) + delta;
  }
  return totals;
}

function expectNoProblems(summary: LoadSummary): void {
  expect(summary).toMatchObject({ conflict: 0, rejected: 0, failed: 0, problems: [] });
  expect(exitCodeFor(summary)).toBe(EXIT_OK);
}

describe('loading the sample file twice', () => {
  const events = readEvents(EVENTS_FILE);
  const distinctIds = new Set(events.map((e) => e.event_id)).size;
  const pairs = pairsOf(events);
  let server: TestServer;
  let first: LoadSummary;
  let afterFirst: Record<string, unknown>;

  beforeAll(async () => {
    server = await startTestServer();
    first = await loadEvents({ file: EVENTS_FILE, url: server.url });
    afterFirst = await balancesOf(server.url, pairs);
  });
  afterAll(() => server.close());

  it('creates each distinct event once and counts the in-file repeats as duplicates', () => {
    expect(events.length).toBeGreaterThan(distinctIds);
    expect(first).toMatchObject({ linesRead: events.length, blankLines: 0, created: distinctIds, duplicate: events.length - distinctIds });
    expectNoProblems(first);
    expect(first.eventsPerSecond).toBeGreaterThan(0);
  });

  it('leaves every restaurant/currency balance at what its charges, fees and refunds add up to', () => {
    const totals = expectedTotals(events);
    expect(pairs.length).toBeGreaterThanOrEqual(6);
    for (const pair of pairs) {
      const key = `${pair.restaurant_id} ${pair.currency}`;
      expect(afterFirst[key], key).toEqual({ available: totals[key], pending: 0, total: totals[key] });
    }
  });

  it('on a second load creates nothing, answers every line as a duplicate and changes no balance', async () => {
    const second = await loadEvents({ file: EVENTS_FILE, url: server.url });
    expect(second).toMatchObject({ linesRead: events.length, created: 0, duplicate: events.length });
    expectNoProblems(second);
    expect(second.balances).toMatchObject({ checked: true, pairs: pairs.length, changed: [] });
    expect(formatSummary(second)).toContain(`balances: unchanged by this load (${pairs.length} restaurant/currency pairs`);
    expect(await balancesOf(server.url, pairs)).toEqual(afterFirst);
  });

  it('reports the first load as changing balances, since it created events', () => {
    expect(first.balances).toMatchObject({ checked: true, pairs: pairs.length });
    expect(formatSummary(first)).toMatch(/balances: \d+ of \d+ pairs changed, by the \d+ events created/);
  });
});

describe('a file with problem lines', () => {
  const ok = { ...EXAMPLE_EVENT, event_id: 'evt_cli_ok', restaurant_id: 'res_cli_problems' };
  const lines = [
    JSON.stringify(ok),
    '',
    '{"event_id": "evt_cli_broken", ',
    JSON.stringify({ ...ok, event_id: 'evt_cli_tip', tip: 500 }),
    JSON.stringify({ ...ok, amount: 12001 }),
    JSON.stringify({ ...ok, event_id: 'evt_cli_peer', amount: undefined, fee: undefined, amount_cents: 5000, fee_cents: 150 }),
    JSON.stringify({ ...ok, event_id: 'evt_cli_both', amount_cents: 5000 }),
  ];
  let server: TestServer;
  let summary: LoadSummary;

  beforeAll(async () => {
    server = await startTestServer();
    summary = await loadEvents({ file: writeTempEvents(lines), url: server.url, concurrency: 4 });
  });
  afterAll(() => server.close());

  it('counts every non-blank line exactly once, in one of the five outcomes', () => {
    expect(summary).toMatchObject({ linesRead: 6, blankLines: 1, created: 2, duplicate: 0, conflict: 1, rejected: 3, failed: 0 });
    expect(summary.mappedLines).toBe(1);
    expect(exitCodeFor(summary)).toBe(EXIT_PROBLEMS);
  });

  it('lists the malformed line, the unknown field and the conflict with their line numbers, statuses and codes', () => {
    expect(summary.problems).toEqual([
      expect.objectContaining({ line: 3, outcome: 'rejected', status: null, code: 'MALFORMED_JSON' }),
      expect.objectContaining({ line: 4, outcome: 'rejected', status: 422, code: 'VALIDATION_ERROR', message: expect.stringContaining('tip') }),
      expect.objectContaining({ line: 5, outcome: 'conflict', status: 409, code: 'EVENT_ID_CONFLICT', message: expect.stringContaining('amount') }),
      expect.objectContaining({ line: 7, outcome: 'rejected', status: 422, code: 'VALIDATION_ERROR', message: expect.stringContaining('amount_cents') }),
    ]);
    const text = formatSummary(summary);
    expect(text).toContain('line 3: rejected - MALFORMED_JSON');
    expect(text).toContain('line 4: rejected 422 VALIDATION_ERROR');
    expect(text).toContain('line 5: conflict 409 EVENT_ID_CONFLICT');
  });

  it('maps amount_cents and fee_cents to amount and fee', async () => {
    const balance = await request(`${server.url}/v1/restaurants/res_cli_problems/balance?currency=PEN&as_of=${BALANCE_AS_OF}`);
    expect(balance.body.data).toMatchObject({ total: 12000 - 600 + 5000 - 150 });
  });
});

describe('the peer implementations\' files, on a server that requires signatures and API keys', () => {
  let server: TestServer;
  const signed = { apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET };

  beforeAll(async () => {
    server = await startTestServer({ apiKeys: [API_KEY], webhookSecrets: [WEBHOOK_SECRET] });
  });
  afterAll(() => server.close());

  it('loads every line of the file written with amount_cents/fee_cents, mapping each one', async () => {
    const file = peerEventsFile('joseph-aparicio-manage-restaurant.jsonl');
    const summary = await loadEvents({ file, url: server.url, ...signed });
    const count = readEvents(file).length;
    expect(summary).toMatchObject({ linesRead: count, created: count, mappedLines: count });
    expectNoProblems(summary);
  });

  it('loads every line of the file already in our wire format, mapping nothing', async () => {
    const file = peerEventsFile('jordy-villanueva-mesa247.jsonl');
    const summary = await loadEvents({ file, url: server.url, ...signed });
    const count = readEvents(file).length;
    expect(summary).toMatchObject({ linesRead: count, created: count, mappedLines: 0 });
    expectNoProblems(summary);
  });

  it('without the secret, lists every line as rejected with WEBHOOK_SIGNATURE_INVALID and writes nothing', async () => {
    const file = peerEventsFile('jordy-villanueva-mesa247.jsonl');
    const summary = await loadEvents({ file, url: server.url, apiKey: API_KEY });
    const count = readEvents(file).length;
    expect(summary).toMatchObject({ linesRead: count, rejected: count, created: 0, duplicate: 0 });
    expect(summary.problems).toHaveLength(count);
    expect(summary.problems.every((p) => p.status === 401 && p.code === 'WEBHOOK_SIGNATURE_INVALID')).toBe(true);
    expect(summary.balances).toMatchObject({ checked: true, changed: [] });
  });
});

describe('the ledger command', () => {
  const ledger = ledgerCommand;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('prints the summary to stdout, no progress bar when stderr is not a terminal, and exits 1 on a rejected line', async () => {
    const file = writeTempEvents([JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_cli_cmd' }), 'not json']);
    const result = await ledger(['load', file, '--url', server.url, '--concurrency', '2']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/lines read\s+2/);
    expect(result.stdout).toMatch(/created\s+1/);
    expect(result.stdout).toContain('line 2: rejected - MALFORMED_JSON');
    expect(result.stderr).toBe('');
  });

  it('exits 2 with one clear line when the server cannot be reached, and on a concurrency out of range', async () => {
    const unreachable = await ledger(['load', EVENTS_FILE, '--url', 'http://127.0.0.1:9']);
    expect(unreachable).toMatchObject({ code: 2, stdout: '' });
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:9');
    const tooMany = await ledger(['load', EVENTS_FILE, '--url', server.url, '--concurrency', '65']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('expected an integer from 1 to 64');
  });
});
