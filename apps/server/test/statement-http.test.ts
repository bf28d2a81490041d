import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let keyed: TestServer;
const statementUrl = (base: string, query = 'currency=PEN') => `${base}/v1/restaurants/res_001/statement?${query}`;

beforeAll(async () => {
  server = await startTestServer();
  keyed = await startTestServer({ apiKeys: ['k_statement'] });
  for (const target of [server, keyed]) {
    await request(`${target.url}/v1/processor/events`, { body: EXAMPLE_EVENT });
    await request(`${target.url}/v1/processor/events`, {
      body: { ...EXAMPLE_EVENT, event_id: '=evt_formula', event_type: 'refund_succeeded', amount: 2000, fee: 0, occurred_at: '2025-12-21T00:00:00Z' },
    });
  }
});
afterAll(async () => {
  await server.close();
  await keyed.close();
});

describe('the statement route', () => {
  it('answers JSON pages in the envelope', async () => {
    const response = await request(statementUrl(server.url, 'currency=PEN&limit=2'));
    expect(response.body.data.items.map((l: { running_balance: number }) => l.running_balance)).toEqual([12000, 11400]);
    const next = await request(statementUrl(server.url, `currency=PEN&limit=2&cursor=${response.body.data.next_cursor}`));
    expect(next.body.data).toMatchObject({ items: [{ entry_type: 'refund', running_balance: 9400 }], next_cursor: null });
  });

  it('streams CSV for format=csv and for Accept: text/csv, with a formula-safe event_id', async () => {
    const forms: Array<{ query: string; headers: Record<string, string> }> = [
      { query: 'currency=PEN&format=csv', headers: {} },
      { query: 'currency=PEN', headers: { accept: 'text/csv' } },
    ];
    for (const init of forms) {
      const response = await fetch(statementUrl(server.url, init.query), { headers: init.headers });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const lines = (await response.text()).trimEnd().split('\n');
      expect(lines[0]).toBe('entry_id,entry_type,amount,occurred_at,available_at,event_id,payout_id,running_balance');
      expect(lines.slice(1).map((l) => l.split(',').slice(1, 3).concat(l.split(',').slice(5)))).toEqual([
        ['sale', '12000', 'evt_0001', '', '12000'],
        ['fee', '-600', 'evt_0001', '', '11400'],
        ['refund', '-2000', "'=evt_formula", '', '9400'],
      ]);
    }
  });

  it('answers CSV errors in the envelope before anything streams', async () => {
    const unknown = await request(`${server.url}/v1/restaurants/res_none/statement?currency=PEN&format=csv`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('RESTAURANT_NOT_FOUND');
    const invalid = await request(statementUrl(server.url, 'currency=pen&format=csv'));
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('asks for the API key on both forms', async () => {
    for (const query of ['currency=PEN', 'currency=PEN&format=csv']) {
      const refused = await request(statementUrl(keyed.url, query));
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('AUTH_REQUIRED');
      const allowed = await fetch(statementUrl(keyed.url, query), { headers: { authorization: 'Bearer k_statement' } });
      expect(allowed.status).toBe(200);
    }
  });
});

describe('a CSV statement longer than one database batch', () => {
  const CHARGES = 1_300; // 2,600 entries: three database batches of 1,000, six chunks of 500 lines
  let big: TestServer;
  beforeAll(async () => {
    big = await startTestServer({ payoutWorker: false });
    const start = Date.parse('2025-10-01T00:00:00Z');
    for (let i = 0; i < CHARGES; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          request(`${big.url}/v1/processor/events`, {
            body: { ...EXAMPLE_EVENT, event_id: `evt_csv_${i + j}`, occurred_at: new Date(start + (i + j) * 60_000).toISOString(), amount: 1000 + i + j, fee: 10 },
          }),
        ),
      );
    }
  });
  afterAll(() => big.close());

  it('streams every entry once, in order, ending at the balance route total', async () => {
    const response = await fetch(statementUrl(big.url, 'currency=PEN&format=csv'));
    const [header, ...rows] = (await response.text()).trimEnd().split('\n');
    expect(header).toMatch(/^entry_id,/);
    expect(rows).toHaveLength(CHARGES * 2);
    const positions = rows.map((row) => {
      const fields = row.split(',');
      return { at: Date.parse(fields[3] ?? ''), id: Number(fields[0]) };
    });
    const inStatementOrder = [...positions].sort((a, b) => a.at - b.at || a.id - b.id);
    expect(positions).toEqual(inStatementOrder);
    expect(new Set(positions.map((p) => p.id)).size).toBe(rows.length);
    const balance = await request(`${big.url}/v1/restaurants/res_001/balance?currency=PEN`);
    expect(Number(rows.at(-1)?.split(',').at(-1))).toBe(balance.body.data.total);
  });

  it('stops cleanly when the client goes away part way, and keeps serving', async () => {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const controller = new AbortController();
      const response = await fetch(statementUrl(big.url, 'currency=PEN&format=csv'), { signal: controller.signal });
      const reader = response.body?.getReader();
      await reader?.read();
      controller.abort();
    }
    const after = await fetch(statementUrl(big.url, 'currency=PEN&format=csv'));
    expect((await after.text()).trimEnd().split('\n')).toHaveLength(CHARGES * 2 + 1);
    expect((await request(`${big.url}/health`)).status).toBe(200);
  });
});
