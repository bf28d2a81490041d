import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from './support/server-process.ts';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

/**
 * One cursor rule on every paged route: next_cursor passed back with the same filters gives the
 * next page; anything else (garbage, another route's cursor, other filters) is 422 CURSOR_INVALID.
 */
let server: TestServer;

const PAGED_ROUTES = [
  { name: 'statement', procedure: 'restaurants.statement', path: '/v1/restaurants/res_001/statement', filters: { restaurant_id: 'res_001', currency: 'PEN' }, changed: { currency: 'USD' } },
  { name: 'payouts', procedure: 'payouts.list', path: '/v1/payouts', filters: { currency: 'PEN' }, changed: { status: 'paid' } },
  { name: 'balances_report', procedure: 'reports.balances', path: '/v1/reports/balances', filters: { currency: 'PEN', as_of: '2026-01-01' }, changed: { as_of: '2026-01-02' } },
] as const;
type PagedRoute = (typeof PAGED_ROUTES)[number];

const restQuery = (query: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(query).map(([name, value]): [string, string] => [name, String(value)])).toString();
const restPage = (route: PagedRoute, query: Record<string, string | number>) =>
  request(`${server.url}${route.path}?${restQuery({ ...route.filters, ...query })}`.replace('restaurant_id=res_001&', ''));
const trpcPage = (route: PagedRoute, query: Record<string, string | number>) =>
  request(`${server.url}/trpc/${route.procedure}?input=${encodeURIComponent(JSON.stringify({ ...route.filters, ...query }))}`);

beforeAll(async () => {
  server = await startTestServer();
  // Two restaurants with entries (two pages of Q1 and of the statement at limit=1), then two payouts.
  for (const [restaurant, event] of [['res_001', 'evt_0001'], ['res_002', 'evt_0002']]) {
    await request(`${server.url}/v1/processor/events`, { body: { ...EXAMPLE_EVENT, event_id: event, restaurant_id: restaurant } });
  }
  const run = await request(`${server.url}/v1/payouts/run`, { body: { currency: 'PEN', as_of: '2026-01-01' } });
  await pollUntil('the payout run', 10_000, async () => {
    const answer = await request(`${server.url}/v1/payouts/runs/${run.body.data.run_id}`);
    return answer.body.data.status === 'completed' ? true : undefined;
  });
});
afterAll(() => server.close());

describe.each(PAGED_ROUTES)('the $name route', (route) => {
  it('gives the next page for its own next_cursor, and a null next_cursor on the last page', async () => {
    const first = await restPage(route, { limit: 1 });
    expect(first.status).toBe(200);
    expect(first.body.data.next_cursor).toEqual(expect.any(String));
    const second = await restPage(route, { limit: 100, cursor: first.body.data.next_cursor });
    expect(second.status).toBe(200);
    expect(second.body.data.items.length).toBeGreaterThan(0);
    expect(second.body.data.items).not.toContainEqual(first.body.data.items[0]);
    expect(second.body.data.next_cursor).toBeNull();
  });

  it.each([
    ['garbage', 'not-a-cursor', 'malformed'],
    ['a bare id', '1', 'malformed'],
    ['base64url of JSON that is no cursor', Buffer.from('{"a":1}').toString('base64url'), 'malformed'],
    ['a cursor too long to be ours', 'A'.repeat(2000), 'malformed'],
  ])('answers %s with 422 CURSOR_INVALID over REST', async (_what, cursor, reason) => {
    const response = await restPage(route, { cursor });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ success: false, error: { code: 'CURSOR_INVALID', details: { field: 'cursor', reason } } });
  });

  it('answers a cursor issued by another route with 422 CURSOR_INVALID (other_route)', async () => {
    const other = PAGED_ROUTES.find((candidate) => candidate.name !== route.name) as PagedRoute;
    const foreign = (await restPage(other, { limit: 1 })).body.data.next_cursor as string;
    const response = await restPage(route, { cursor: foreign });
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({ code: 'CURSOR_INVALID', details: { reason: 'other_route', route: route.name } });
  });

  it('answers its own cursor with other filters with 422 CURSOR_INVALID naming the filter', async () => {
    const cursor = (await restPage(route, { limit: 1 })).body.data.next_cursor as string;
    const response = await restPage(route, { ...route.changed, cursor });
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({ code: 'CURSOR_INVALID', details: { reason: 'filters_changed', filters: Object.keys(route.changed) } });
  });

  it('follows the same rule over tRPC: the typed error carries CURSOR_INVALID', async () => {
    const first = await trpcPage(route, { limit: 1 });
    const cursor = first.body.result.data.next_cursor as string;
    expect((await trpcPage(route, { cursor })).status).toBe(200);
    const refused = await trpcPage(route, { cursor: 'not-a-cursor' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.data).toMatchObject({ code: 'CURSOR_INVALID', httpStatus: 422, details: { reason: 'malformed' } });
  });
});
