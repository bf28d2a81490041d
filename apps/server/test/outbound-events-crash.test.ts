import { createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from './support/receiver.ts';
import { freePort, type ServerProcess, sleep, startServerProcess } from './support/server-process.ts';
import { EXAMPLE_EVENT, request } from './support/test-server.ts';

/**
 * The real process (`node --import tsx src/main.ts`) killed with SIGKILL while it delivers outbound
 * events to a slow receiver. A restarted server delivers every event; an event sent twice carries
 * the same webhook-id both times.
 */
const EVENTS = 40;
let testDb: TestDatabase;
let receiver: Receiver;
let port: number;
const children = new Set<ServerProcess>();

async function startServer(): Promise<ServerProcess> {
  if (testDb.url === undefined) throw new Error('this test spawns the server on PostgreSQL and needs its URL');
  const server = await startServerProcess({
    port,
    databaseUrl: testDb.url,
    env: {
      LEDGER_OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      LEDGER_OUTBOUND_POLL_MS: '50',
      LEDGER_OUTBOUND_TIMEOUT_MS: '2000',
      LEDGER_OUTBOUND_RETRY_BASE_MS: '50',
      LEDGER_OUTBOUND_RETRY_CAP_MS: '200',
    },
  });
  children.add(server);
  void server.exited.then(() => children.delete(server));
  return server;
}

beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 5 });
  port = await freePort();
  // Slow enough that a kill finds deliveries in flight; one request in five fails at first.
  receiver = await startReceiver({ status: 200, delayMs: 300 });
  for (let i = 0; i < EVENTS; i += 5) receiver.script.push({ status: 200, delayMs: 300 }, { status: 500 }, { status: 200, delayMs: 300 }, { status: 200, delayMs: 300 }, { status: 200, delayMs: 300 });
}, 30_000);

afterAll(async () => {
  await Promise.all([...children].map((server) => server.kill('SIGKILL')));
  await receiver?.close();
  await testDb?.close();
}, 30_000);

describe('outbound deliveries across a server kill', () => {
  it('loses no event: every one reaches the receiver, duplicates under the same webhook-id', { timeout: 60_000 }, async () => {
    const first = await startServer();
    const created = await request(`${first.url}/v1/subscriptions`, { body: { url: receiver.url, event_types: ['dispute.opened'] } });
    expect(created.status).toBe(201);
    const secret: string = created.body.data.secret;

    const events = Array.from({ length: EVENTS }, (_, i) => ({
      ...EXAMPLE_EVENT,
      event_id: `evt_crash_dp_${i}`,
      event_type: 'dispute_opened',
      restaurant_id: `res_crash_${i % 4}`,
      amount: 1000 + i,
      fee: 0,
      metadata: { dispute_id: `dp_crash_${i}` },
    }));
    const batch = await request(`${first.url}/v1/processor/events/batch`, { body: { events } });
    expect(batch.status).toBe(200);

    // Kill it once some events arrived and others are still on their way.
    const deadline = Date.now() + 20_000;
    while (receiver.received.length < 8 && Date.now() < deadline) await sleep(20);
    await first.kill('SIGKILL');
    const atKill = new Set(receiver.received.map((r) => r.webhookId)).size;
    expect(atKill).toBeLessThan(EVENTS);

    const second = await startServer();
    const disputeIds = () => new Set(receiver.received.map((r) => (JSON.parse(r.body) as { data: { dispute_id: string } }).data.dispute_id));
    const recoverBy = Date.now() + 40_000;
    while (disputeIds().size < EVENTS && Date.now() < recoverBy) await sleep(100);
    expect(disputeIds().size).toBe(EVENTS);

    // One webhook-id per event, whatever was sent twice; every request verifies.
    const idsByDispute = new Map<string, Set<string>>();
    const verifier = new Webhook(secret);
    for (const r of receiver.received) {
      const payload = verifier.verify(r.body, r.headers as Record<string, string>) as { data: { dispute_id: string } };
      idsByDispute.set(payload.data.dispute_id, new Set([...(idsByDispute.get(payload.data.dispute_id) ?? []), r.webhookId]));
    }
    expect([...idsByDispute.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.webhookId)).size).toBe(EVENTS);

    // The database agrees once the last answers are recorded: every delivery delivered, none failed.
    const statuses = async () => {
      const { rows } = await sql<{ status: string; n: number }>`
        SELECT status, count(*)::int AS n FROM outbound_deliveries GROUP BY status`.execute(testDb.db);
      return Object.fromEntries(rows.map((row) => [row.status, row.n]));
    };
    const settledBy = Date.now() + 10_000;
    while ((await statuses()).delivered !== EVENTS && Date.now() < settledBy) await sleep(100);
    const byStatus = await statuses();
    expect(byStatus).toEqual({ delivered: EVENTS });
    console.log(
      `outbound: SIGKILL with ${atKill}/${EVENTS} events received; after the restart all ${EVENTS} arrived in ` +
        `${receiver.received.length} requests (retries and re-sends of attempts the kill cut short); deliveries ${JSON.stringify(byStatus)}`,
    );
    expect(second.output()).not.toContain(secret);
  });
});
