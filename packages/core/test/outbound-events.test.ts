import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawBuilder, sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSubscription,
  deliverDueEvents,
  disableSubscription,
  getSubscription,
  importReconciliation,
  ingestEvent,
  integrityReport,
  type LedgerContext,
  listDeliveries,
  listSubscriptions,
  projectOutboundEvents,
  refusedUrlReason,
  replayDelivery,
  requestPayoutRun,
  retryDelayMs,
  workNextPayoutRun,
} from '../src/index.ts';
import { sendEvent } from '../src/outbound/outbound-sender.ts';
import { chargeEvent, createTestDatabase, expectLedgerError, fixedClock, refundEvent, type TestDatabase } from './support/index.ts';

let testDb: TestDatabase;
let ctx: LedgerContext;
const NOW = '2026-01-15T00:00:00Z';

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock(NOW) });
  ctx = { ...ctx, outbound: { allowedHosts: ['hooks.example.com', '127.0.0.1'], retryBaseMs: 1, retryCapMs: 5, maxAttempts: 3, timeoutMs: 2_000 } };
});
afterAll(() => testDb.close());

async function eventsOf(type?: string) {
  const rows = await ctx.db.selectFrom('outbound_events').select(['id', 'event_type', 'source_key', 'payload']).orderBy('id').execute();
  return rows.filter((row) => type === undefined || row.event_type === type);
}

describe('signing (Standard Webhooks)', () => {
  it('signs as the specification example does', () => {
    // The example of the Standard Webhooks specification and its reference libraries' tests.
    const signature = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').sign(
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1614265330 * 1000),
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe('retry backoff', () => {
  it('doubles from the base, stays under the cap, and jitters by at most 20%', () => {
    const settings = { retryBaseMs: 5_000, retryCapMs: 3_600_000 };
    expect(retryDelayMs(1, settings, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(2, settings, () => 0.5)).toBe(10_000);
    expect(retryDelayMs(5, settings, () => 0.5)).toBe(80_000);
    expect(retryDelayMs(30, settings, () => 0.5)).toBe(3_600_000);
    expect(retryDelayMs(1, settings, () => 0)).toBe(4_000);
    expect(retryDelayMs(1, settings, () => 0.999999)).toBeLessThanOrEqual(6_000);
  });
});

describe('subscriber URLs (allow-list)', () => {
  const allowed = ['hooks.example.com', '*.partners.example', '10.1.2.3'];
  it.each([
    ['https://hooks.example.com/ledger', undefined],
    ['http://a.partners.example/x', undefined],
    ['http://10.1.2.3:8080/in', undefined],
    ['ftp://hooks.example.com/', 'the scheme must be http or https'],
    ['https://user:pw@hooks.example.com/', 'credentials in the URL are not accepted'],
    ['https://evil.example.com/', 'the host evil.example.com is not in LEDGER_OUTBOUND_ALLOWED_HOSTS'],
    ['http://127.0.0.1/', 'the host 127.0.0.1 is not in LEDGER_OUTBOUND_ALLOWED_HOSTS'],
    ['not a url', 'not a URL'],
  ])('%s', (url, reason) => {
    expect(refusedUrlReason(url, allowed)).toBe(reason);
  });
  it('refuses everything when the allow-list is empty, and private addresses admitted by a pattern', () => {
    expect(refusedUrlReason('https://hooks.example.com/', [])).toMatch(/is empty/);
    expect(refusedUrlReason('http://127.0.0.1/', ['*'])).toMatch(/private or loopback/);
    expect(refusedUrlReason('http://[::1]/', ['*'])).toMatch(/private or loopback/);
    expect(refusedUrlReason('http://169.254.169.254/', ['*'])).toMatch(/private or loopback/);
    expect(refusedUrlReason('http://8.8.8.8/', ['*'])).toBeUndefined();
  });
});

describe('each attempt checks the address again', () => {
  const attempt = (url: string, allowedHosts: string[]) =>
    sendEvent({ url, headers: {}, body: '{}', timeoutMs: 1_000, allowedHosts, signal: new AbortController().signal });
  it('refuses a private address admitted only by a pattern, a literal or a name that resolves to one', async () => {
    expect(await attempt('http://127.0.0.1:9/x', ['*'])).toMatchObject({ outcome: 'refused_address', statusCode: null });
    expect(await attempt('http://localhost:9/x', ['*'])).toMatchObject({ outcome: 'refused_address', error: expect.stringMatching(/private or loopback/) });
  });
  it('refuses a host taken off the allow-list since the subscription was created', async () => {
    expect(await attempt('https://hooks.example.com/x', ['other.example.com'])).toMatchObject({ outcome: 'refused_address' });
  });
});

describe('subscriptions', () => {
  it('shows the secret only when created; list and get never do', async () => {
    const created = await createSubscription(ctx, { url: 'https://hooks.example.com/a', event_types: ['payout.paid'], description: 'finance' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const got = await getSubscription(ctx, created.subscription_id);
    expect(got).not.toHaveProperty('secret');
    const page = await listSubscriptions(ctx, { limit: 50 });
    expect(JSON.stringify(page)).not.toContain(created.secret);
    await disableSubscription(ctx, created.subscription_id);
  });

  it('refuses a URL outside the allow-list, and unknown ids, with their codes', async () => {
    await expectLedgerError(createSubscription(ctx, { url: 'http://169.254.169.254/latest' }), 'SUBSCRIPTION_URL_NOT_ALLOWED');
    await expectLedgerError(getSubscription(ctx, '999999'), 'SUBSCRIPTION_NOT_FOUND');
    await expectLedgerError(replayDelivery(ctx, { subscription_id: '999999', delivery_id: '1' }), 'SUBSCRIPTION_NOT_FOUND');
  });
});

describe('projection from the ledger', () => {
  it('derives each event type once, however often it projects, and fans out by subscription filter', async () => {
    const all = await createSubscription(ctx, { url: 'https://hooks.example.com/all' });
    const disputes = await createSubscription(ctx, { url: 'https://hooks.example.com/disputes', event_types: ['dispute.opened', 'dispute.closed'] });
    await projectOutboundEvents(ctx);
    const before = (await eventsOf()).length;

    await ingestEvent(ctx, chargeEvent({ event_id: 'ob_charge_1', restaurant_id: 'res_ob', occurred_at: '2026-01-01T10:00:00Z', amount: 10000, fee: 0, metadata: { payment_id: 'pay_ob_1' } }), {});
    const run = await requestPayoutRun(ctx, { currency: 'PEN', as_of: '2026-01-14', min_amount: 0 });
    while ((await workNextPayoutRun(ctx, { owner: 'ob', batchSize: 10 })) !== undefined) {}
    const payout = await ctx.db.selectFrom('payouts').select(['id', 'amount_minor']).where('restaurant_id', '=', 'res_ob').executeTakeFirstOrThrow();
    // After the payout (created at the clock's 2026-01-15T00:00), a day later.
    const later = { ...ctx, clock: fixedClock('2026-01-16T00:00:00Z') };
    await ingestEvent(later, chargeEvent({ event_id: 'ob_paid_1', event_type: 'payout_paid', restaurant_id: 'res_ob', occurred_at: '2026-01-15T12:00:00Z', amount: Number(payout.amount_minor), fee: 0, metadata: { payout_id: String(payout.id) } }), {});
    await ingestEvent(later, chargeEvent({ event_id: 'ob_dispute_1', event_type: 'dispute_opened', restaurant_id: 'res_ob', occurred_at: '2026-01-15T13:00:00Z', amount: 4000, fee: 0, metadata: { dispute_id: 'dp_ob_1', charge_event_id: 'ob_charge_1' } }), {});
    await ingestEvent(later, chargeEvent({ event_id: 'ob_dispute_1_won', event_type: 'dispute_won', restaurant_id: 'res_ob', occurred_at: '2026-01-15T14:00:00Z', amount: 4000, fee: 0, metadata: { dispute_id: 'dp_ob_1' } }), {});
    await ingestEvent(later, refundEvent({ event_id: 'ob_refund_1', restaurant_id: 'res_ob', occurred_at: '2026-01-15T15:00:00Z', amount: 3000, fee: 0 }), {});
    await importReconciliation(ctx, 'payout_id,amount,currency,paid_date,type,reference\n999999,100,PEN,2026-01-14,charge,evt_x\n');
    expect(run.run_id).toBeDefined();

    await projectOutboundEvents(ctx);
    await projectOutboundEvents(ctx);
    const types = (await eventsOf()).slice(before).map((row) => row.event_type);
    expect(types.sort()).toEqual(
      ['balance.below_zero', 'balance.below_zero', 'dispute.closed', 'dispute.opened', 'payout.created', 'payout.paid', 'reconciliation.completed'].sort(),
    );
    // Paid out to 0: the dispute took it below zero, winning it brought it back to 0, the refund below again.
    const [byDispute, byRefund] = await eventsOf('balance.below_zero');
    expect(byDispute?.payload).toMatchObject({ restaurant_id: 'res_ob', currency: 'PEN', available: -4000, deficit: 4000, processor_event_id: 'ob_dispute_1' });
    expect(byRefund?.payload).toMatchObject({ restaurant_id: 'res_ob', currency: 'PEN', available: -3000, deficit: 3000, processor_event_id: 'ob_refund_1' });
    const [closed] = await eventsOf('dispute.closed');
    expect(closed?.payload).toMatchObject({ dispute_id: 'dp_ob_1', outcome: 'won', amount: 4000 });

    const deliveries = await ctx.db.selectFrom('outbound_deliveries').select(['subscription_id', 'webhook_id']).execute();
    expect(deliveries.filter((d) => String(d.subscription_id) === all.subscription_id)).toHaveLength(7);
    expect(deliveries.filter((d) => String(d.subscription_id) === disputes.subscription_id)).toHaveLength(2);
    expect(new Set(deliveries.map((d) => d.webhook_id)).size).toBe(deliveries.length);

    // Projecting from the start again (a crash between the write and the watermark's move) writes nothing new.
    const count = (await eventsOf()).length;
    await sql`UPDATE outbound_projector_state SET watermark = 0, candidate = NULL, candidate_at = NULL`.execute(ctx.db);
    await projectOutboundEvents(ctx);
    await projectOutboundEvents(ctx);
    expect((await eventsOf()).length).toBe(count);
    await disableSubscription(ctx, all.subscription_id);
    await disableSubscription(ctx, disputes.subscription_id);
  });
});

describe('delivery to a receiving server', () => {
  let server: Server;
  let port: number;
  const received: Array<{ id: string; body: string; headers: IncomingMessage['headers'] }> = [];
  /** What the receiver answers, in turn, per dispute (then 200). */
  const answers = new Map<string, number[]>([
    ['dp_ob_2', [500, 500, 200]],
    ['dp_ob_3', [503, 503, 503]],
  ]);

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ id: String(req.headers['webhook-id']), body, headers: req.headers });
        const disputeId = (JSON.parse(body) as { data: { dispute_id: string } }).data.dispute_id;
        res.statusCode = answers.get(disputeId)?.shift() ?? 200;
        res.end(res.statusCode === 200 ? 'ok' : 'x'.repeat(2_000));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('retries a failing receiver with the same webhook-id, logs each attempt, and gives up after the limit', async () => {
    const subscription = await createSubscription(ctx, { url: `http://127.0.0.1:${port}/hook`, event_types: ['dispute.opened'] });
    await ingestEvent(ctx, chargeEvent({ event_id: 'ob_charge_2', restaurant_id: 'res_ob2', occurred_at: '2026-01-01T10:00:00Z', amount: 10000, fee: 0 }), {});
    await ingestEvent(ctx, chargeEvent({ event_id: 'ob_dispute_2', event_type: 'dispute_opened', restaurant_id: 'res_ob2', occurred_at: '2026-01-14T13:00:00Z', amount: 1000, fee: 0, metadata: { dispute_id: 'dp_ob_2', charge_event_id: 'ob_charge_2' } }), {});
    await ingestEvent(ctx, chargeEvent({ event_id: 'ob_dispute_3', event_type: 'dispute_opened', restaurant_id: 'res_ob2', occurred_at: '2026-01-14T13:00:00Z', amount: 1000, fee: 0, metadata: { dispute_id: 'dp_ob_3', charge_event_id: 'ob_charge_2' } }), {});
    await projectOutboundEvents(ctx);
    await projectOutboundEvents(ctx);
    const signal = new AbortController().signal;
    for (let i = 0; i < 100 && [...answers.values()].some((left) => left.length > 0); i++) {
      await deliverDueEvents(ctx, 'test', signal);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const page = await listDeliveries(ctx, { subscription_id: subscription.subscription_id, limit: 50 });
    expect(page.items.map((d) => d.status).sort()).toEqual(['delivered', 'failed']);
    for (const delivery of page.items) {
      expect(delivery.log).toHaveLength(3);
      expect(received.filter((r) => r.id === delivery.webhook_id)).toHaveLength(3);
    }
    const failed = page.items.find((d) => d.status === 'failed');
    expect(failed?.log[0]).toMatchObject({ outcome: 'http_error', status_code: expect.any(Number), error: expect.stringMatching(/^HTTP 5/) });
    expect(failed?.log[0]?.response_excerpt).toHaveLength(500);
    const verifier = new Webhook(subscription.secret);
    for (const request of received) {
      const payload = verifier.verify(request.body, request.headers as Record<string, string>) as { type: string; data: { dispute_id: string } };
      expect(payload.type).toBe('dispute.opened');
    }

    // A replay sends the failed one again under its webhook-id.
    const replayed = await replayDelivery(ctx, { subscription_id: subscription.subscription_id, delivery_id: failed?.delivery_id ?? '' });
    expect(replayed).toMatchObject({ status: 'pending', attempts: 3, attempt_limit: 6 });
    await deliverDueEvents(ctx, 'test', signal);
    expect(received.at(-1)?.id).toBe(failed?.webhook_id);
    const after = await listDeliveries(ctx, { subscription_id: subscription.subscription_id, status: 'delivered', limit: 50 });
    expect(after.items).toHaveLength(2);
  });
});

describe('the integrity report (Q4)', () => {
  const outboundRows = async () =>
    (await integrityReport(ctx)).items.filter((row) => row.reason === 'OUTBOUND_EVENT_MISSING' || row.reason === 'OUTBOUND_DELIVERY_INCONSISTENT');
  /** Damage only a superuser around the triggers and foreign keys could do (replica mode skips them). */
  const asSuperuser = (statement: RawBuilder<unknown>) =>
    ctx.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await statement.execute(trx);
    });

  it('finds nothing wrong with the outbox the projector and the deliverer wrote', async () => {
    await projectOutboundEvents(ctx);
    await projectOutboundEvents(ctx);
    const state = await sql<{ watermark: string }>`SELECT watermark::text AS watermark FROM outbound_projector_state`.execute(ctx.db);
    expect(state.rows.map((row) => Number(row.watermark) > 0)).toEqual([true, true, true]);
    expect(await outboundRows()).toEqual([]);
  });

  it('names the facts passed without their event, and a delivery its log contradicts', async () => {
    const paid = await sql<{ id: string }>`SELECT id::text AS id FROM payouts WHERE status = 'paid'`.execute(ctx.db);
    expect(paid.rows).toHaveLength(1);
    const paidId = paid.rows[0]?.id ?? '';
    // Two events lost from the outbox...
    await asSuperuser(sql`DELETE FROM outbound_events WHERE source_key IN ('dispute.closed:dp_ob_1', ${`payout.paid:${paidId}`})`);
    // ...and a watermark moved by hand past a dispute opening the projector never saw.
    await ingestEvent(ctx, chargeEvent({ event_id: 'ob_q4_dispute', event_type: 'dispute_opened', restaurant_id: 'res_ob2', occurred_at: '2026-01-14T15:00:00Z', amount: 100, fee: 0, metadata: { dispute_id: 'dp_ob_q4', charge_event_id: 'ob_charge_2' } }), {});
    await sql`UPDATE outbound_projector_state SET watermark = (SELECT MAX(id) FROM processor_events) WHERE source = 'processor_events'`.execute(ctx.db);
    // A delivered delivery marked failed before its attempt limit.
    const delivered = await sql<{ id: string }>`SELECT MIN(id)::text AS id FROM outbound_deliveries WHERE status = 'delivered' AND attempts < attempt_limit`.execute(ctx.db);
    await sql`UPDATE outbound_deliveries SET status = 'failed' WHERE id = ${delivered.rows[0]?.id ?? null}`.execute(ctx.db);

    const rows = await outboundRows();
    expect(rows.map((row) => [row.reason, row.event_id, row.payout_id])).toEqual([
      ['OUTBOUND_DELIVERY_INCONSISTENT', null, null],
      ['OUTBOUND_EVENT_MISSING', 'ob_dispute_1_won', null],
      ['OUTBOUND_EVENT_MISSING', 'ob_paid_1', paidId],
      ['OUTBOUND_EVENT_MISSING', 'ob_q4_dispute', null],
    ]);
    expect(rows[0]?.detail).toMatch(new RegExp(`^delivery ${delivered.rows[0]?.id} \\(msg_\\d+_\\d+\\) is failed after \\d+ of \\d+ attempts; its log holds \\d+ attempts, 1 delivered`));
    expect(rows[3]?.detail).toMatch(/^no outbound event dispute\.opened:dp_ob_q4, though the projector passed processor_events row \d+ \(watermark \d+\)$/);

    // Rows before projected_from are history from before outbound events: not checked.
    await sql`UPDATE outbound_projector_state SET projected_from = watermark`.execute(ctx.db);
    expect((await outboundRows()).map((row) => row.reason)).toEqual(['OUTBOUND_DELIVERY_INCONSISTENT']);
  });
});
