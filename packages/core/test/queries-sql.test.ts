import { readFileSync } from 'node:fs';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerDb } from '../src/db/database.ts';
import {
  createRestaurant,
  ingestEvent,
  type LedgerContext,
  listPayouts,
  markProcessing,
  projectOutboundEvents,
  requestPayoutRun,
  updateRestaurant,
  workNextPayoutRun,
  writeBalanceCheckpoint,
  sealPendingEntries,
  writeStatementCheckpoint,
} from '../src/index.ts';
import { availableBalances, integrityViolations, payoutEligibility, restaurantsInDeficit, topRestaurantsByRevenue } from '../src/reports/reports.repository.ts';
import { chargeEvent, createTestDatabase, fixedClock, refundEvent, type TestDatabase } from './support/index.ts';

/**
 * sql/queries.sql is the reviewable copy of Q1–Q5. It must never drift from the Kysely queries in
 * reports.repository.ts: every block runs here beside its twin, with many parameter sets, on a
 * ledger with charges, refunds, several currencies, payouts in every status and (for Q4) damage of
 * every kind, and both must return exactly the same rows.
 */
const QUERIES_FILE = new URL('../../../sql/queries.sql', import.meta.url);
const NOW = '2026-02-01T12:00:00Z';
const RESTAURANTS = ['res_s_a', 'res_s_b', 'res_s_c', 'res_s_d', 'res_s_e'];
const CURRENCIES = ['PEN', 'USD', 'MXN'];
const AS_OF_MOMENTS = ['2025-12-15T00:00:00Z', '2026-01-10T00:00:00Z', '2026-01-20T12:00:00Z', NOW].map((iso) => new Date(iso));

/** The "-- name:" blocks of sql/queries.sql, by name. */
function readQueryBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  const parts = readFileSync(QUERIES_FILE, 'utf8').split(/^-- name: /m).slice(1);
  for (const part of parts) {
    const name = part.slice(0, part.indexOf('\n')).trim();
    blocks.set(name, part.slice(part.indexOf('\n') + 1).trim().replace(/;$/, ''));
  }
  return blocks;
}

/** Rows with every value as text, so int8 as string (pg) or number (PGlite) and dates compare alike. */
function normalize(rows: readonly object[]): Record<string, string | null>[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [key, value === null ? null : value instanceof Date ? value.toISOString() : String(value)]),
    ),
  );
}

/** A small deterministic generator, so the ledger is varied but the same on every run. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

async function seedLedger(ctx: LedgerContext): Promise<void> {
  const random = lcg(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const start = new Date('2025-11-20T00:00:00Z').getTime();
  // Settlement settings: a reserve from the start, a reserve from the middle on, a payout minimum.
  await createRestaurant(ctx, { restaurant_id: 'res_s_b', reserve_percent: 1000, reserve_days: 10 });
  await createRestaurant(ctx, { restaurant_id: 'res_s_c', payout_minimum: { PEN: 15000, USD: 30000 } });
  for (let i = 0; i < 120; i += 1) {
    if (i === 60) await updateRestaurant(ctx, { restaurant_id: 'res_s_d', reserve_percent: 2500, reserve_days: 30 });
    const occurredAt = new Date(start + Math.floor(random() * 70 * 24 * 3_600_000)).toISOString();
    const base = { event_id: `s_${i}`, restaurant_id: pick(RESTAURANTS), currency: pick(CURRENCIES), occurred_at: occurredAt };
    const amount = 100 + Math.floor(random() * 20_000);
    const event =
      random() < 0.2
        ? refundEvent({ ...base, amount, fee: random() < 0.5 ? 0 : 25 })
        : chargeEvent({ ...base, amount, fee: Math.floor(amount * 0.03) });
    await ingestEvent(ctx, event, {});
  }
  // Legal amounts whose sum JSON cannot carry: left out of Q1–Q3, skipped by runs, named by Q4.
  for (const eventId of ['s_huge_1', 's_huge_2']) {
    await ingestEvent(ctx, chargeEvent({ event_id: eventId, restaurant_id: 'res_s_huge', currency: 'USD', occurred_at: '2025-12-01T00:00:00Z', amount: Number.MAX_SAFE_INTEGER, fee: 0 }), {});
  }
}

async function drainPayoutRuns(ctx: LedgerContext, currency: string, asOf: string): Promise<void> {
  await requestPayoutRun(ctx, { currency, as_of: asOf, min_amount: 1000 });
  while ((await workNextPayoutRun(ctx, { owner: 'queries-sql-test' })) !== undefined) {}
}

/** Payouts in every status: paid, failed (with its reversal), processing, created; plus an unmatched payout event. */
async function settleSomePayouts(ctx: LedgerContext): Promise<void> {
  for (const currency of CURRENCIES) await drainPayoutRuns(ctx, currency, '2026-01-05');
  const payouts = (await listPayouts(ctx, { limit: 200 })).items;
  const outcomes = ['payout_paid', 'payout_failed', 'processing'] as const;
  for (const [index, payout] of payouts.entries()) {
    const outcome = outcomes[index % outcomes.length];
    if (outcome === 'processing') {
      await markProcessing(ctx, payout.payout_id);
      continue;
    }
    const { restaurant_id, currency, amount } = payout;
    await ingestEvent(
      ctx,
      chargeEvent({ event_id: `s_out_${payout.payout_id}`, event_type: outcome, occurred_at: '2026-01-08T00:00:00Z', restaurant_id, currency, amount, fee: 0, metadata: { payout_id: payout.payout_id } }),
      {},
    );
  }
  await ingestEvent(ctx, chargeEvent({ event_id: 's_unmatched', event_type: 'payout_paid', restaurant_id: 'res_s_a', amount: 10, fee: 0, metadata: { payout_id: '987654' } }), {});
  // The processor contradicts itself: payout_failed for the first payout, which it said was paid.
  const [paid] = payouts;
  if (paid !== undefined) {
    const { restaurant_id, currency, amount } = paid;
    await ingestEvent(ctx, chargeEvent({ event_id: 's_contradiction', event_type: 'payout_failed', occurred_at: '2026-01-09T00:00:00Z', restaurant_id, currency, amount, fee: 0, metadata: { payout_id: paid.payout_id } }), {});
  }
  // A second round in one currency: restaurants whose payout failed or was paid are paid again, open
  // ones are skipped. The other currencies keep funds that are eligible now.
  await drainPayoutRuns(ctx, 'PEN', '2026-01-25');
  await disputeSome(ctx);
}

/** Disputes after the payouts: won, lost, still open, on an unknown charge; some leave a deficit. */
async function disputeSome(ctx: LedgerContext): Promise<void> {
  const dispute = (eventType: string, disputeId: string, fields: Record<string, unknown>) =>
    ingestEvent(ctx, chargeEvent({ event_id: `${eventType}_${disputeId}`, event_type: eventType, fee: 0, ...fields, metadata: { dispute_id: disputeId, ...(fields.metadata as object) } }), {});
  await ingestEvent(ctx, chargeEvent({ event_id: 'sd_charge', restaurant_id: 'res_s_a', currency: 'PEN', amount: 30_000, fee: 0, occurred_at: '2026-01-26T00:00:00Z', metadata: { payment_id: 'pay_sd' } }), {});
  await dispute('dispute_opened', 'sd_won', { restaurant_id: 'res_s_a', currency: 'PEN', amount: 4000, fee: 500, occurred_at: '2026-01-27T00:00:00Z', metadata: { charge_event_id: 'sd_charge' } });
  await dispute('dispute_won', 'sd_won', { restaurant_id: 'res_s_a', currency: 'PEN', amount: 4000, occurred_at: '2026-01-28T00:00:00Z' });
  await dispute('dispute_opened', 'sd_lost', { restaurant_id: 'res_s_a', currency: 'PEN', amount: 25_000, occurred_at: '2026-01-27T00:00:00Z', metadata: { payment_id: 'pay_sd' } });
  await dispute('dispute_lost', 'sd_lost', { restaurant_id: 'res_s_a', currency: 'PEN', amount: 25_000, occurred_at: '2026-01-29T00:00:00Z' });
  await dispute('dispute_opened', 'sd_unknown', { restaurant_id: 'res_s_b', currency: 'USD', amount: 90_000, fee: 1500, occurred_at: '2026-01-21T00:00:00Z', metadata: { charge_event_id: 'nowhere' } });
  await dispute('dispute_opened', 'sd_open', { restaurant_id: 'res_s_c', currency: 'MXN', amount: 70_000, occurred_at: '2026-01-30T00:00:00Z', metadata: { payment_id: 'nobody' } });
}

describe('sql/queries.sql', () => {
  let testDb: TestDatabase;
  let db: LedgerDb;
  const blocks = readQueryBlocks();

  async function runBlock(name: string, parameters: readonly unknown[]): Promise<Record<string, string | null>[]> {
    const text = blocks.get(name);
    if (text === undefined) throw new Error(`sql/queries.sql has no block named ${name}`);
    const { rows } = await db.executeQuery(CompiledQuery.raw(text, [...parameters]));
    return normalize(rows as object[]);
  }

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = testDb.db;
    const ctx = testDb.context({ clock: fixedClock(NOW) });
    await seedLedger(ctx);
    await settleSomePayouts(ctx);
    // Checkpoints of every restaurant and currency: exact now, contradicted by the damage below.
    for (const restaurantId of RESTAURANTS) {
      for (const currency of CURRENCIES) {
        await writeBalanceCheckpoint(ctx, restaurantId, currency);
        await writeStatementCheckpoint(ctx, restaurantId, currency, 3);
      }
    }
    // The ledger sealed in small blocks, so the damage below breaks several of them.
    await sealPendingEntries(ctx, { blockSize: 40 });
    // The outbox derived from all of it (twice: on PostgreSQL the second pass moves the watermarks).
    await projectOutboundEvents(ctx);
    await projectOutboundEvents(ctx);
  });
  afterAll(() => testDb.close());

  it('holds exactly the four report queries', () => {
    expect([...blocks.keys()]).toEqual(['q1_available_balances', 'q2_top_restaurants', 'q3_payout_eligibility', 'q4_integrity_violations', 'q5_restaurants_in_deficit']);
  });

  it('Q1 returns what availableBalances returns, for every currency, moment and page', async () => {
    let nonEmpty = 0;
    for (const currency of [...CURRENCIES, 'EUR']) {
      for (const asOf of AS_OF_MOMENTS) {
        for (const [after, limit] of [[undefined, 100], ['res_s_b', 100], ['', 2]] as const) {
          const expected = normalize(await availableBalances(db, currency, asOf, after, limit));
          expect(await runBlock('q1_available_balances', [currency, asOf, after ?? '', limit + 1])).toEqual(expected);
          if (expected.length > 0) nonEmpty += 1;
        }
      }
    }
    expect(nonEmpty).toBeGreaterThan(20);
  });

  it('Q2 returns what topRestaurantsByRevenue returns, for every currency, window and top', async () => {
    let nonEmpty = 0;
    for (const currency of CURRENCIES) {
      for (const [from, to] of [['2025-11-01', NOW], ['2025-12-01', '2026-01-01'], ['2026-01-15', '2026-01-16']]) {
        for (const top of [10, 2]) {
          const window = [new Date(from ?? ''), new Date(to ?? '')] as const;
          const expected = normalize(await topRestaurantsByRevenue(db, currency, window[0], window[1], top));
          expect(await runBlock('q2_top_restaurants', [currency, window[0], window[1], top])).toEqual(expected);
          if (expected.length > 0) nonEmpty += 1;
        }
      }
    }
    expect(nonEmpty).toBeGreaterThan(6);
  });

  it('Q3 returns what payoutEligibility returns, around payouts paid, failed, open and later', async () => {
    let nonEmpty = 0;
    for (const currency of CURRENCIES) {
      for (const asOf of ['2026-01-05', '2026-01-12', '2026-01-25', '2026-01-31']) {
        for (const minAmount of [0, 5000]) {
          const cutoff = new Date(`${asOf}T23:59:59.999Z`);
          const expected = normalize(await payoutEligibility(db, currency, asOf, cutoff, minAmount));
          expect(await runBlock('q3_payout_eligibility', [currency, asOf, cutoff, minAmount])).toEqual(expected);
          if (expected.length > 0) nonEmpty += 1;
        }
      }
    }
    expect(nonEmpty).toBeGreaterThan(4);
  });

  it('Q5 returns what restaurantsInDeficit returns, for every currency, moment and page', async () => {
    let nonEmpty = 0;
    for (const currency of [...CURRENCIES, 'EUR']) {
      for (const asOf of AS_OF_MOMENTS) {
        for (const [after, limit] of [[undefined, 100], ['res_s_a', 100], ['', 1]] as const) {
          const expected = normalize(await restaurantsInDeficit(db, currency, asOf, after, limit));
          expect(await runBlock('q5_restaurants_in_deficit', [currency, asOf, after ?? '', limit + 1])).toEqual(expected);
          if (expected.length > 0) nonEmpty += 1;
        }
      }
    }
    expect(nonEmpty).toBeGreaterThan(3);
  });

  it('Q4 returns what integrityViolations returns, on the processor\'s contradictions and after damage of every kind', async () => {
    const healthy = normalize(await integrityViolations(db));
    expect(healthy.map((row) => row.reason)).toEqual(['BALANCE_OUT_OF_RANGE', 'DISPUTE_CHARGE_NOT_FOUND', 'DISPUTE_CHARGE_NOT_FOUND', 'PAYOUT_EVENT_CONTRADICTED', 'PAYOUT_EVENT_UNMATCHED']);
    expect(await runBlock('q4_integrity_violations', [])).toEqual(healthy);

    await plantDamageOfEveryKind(db);
    const damaged = normalize(await integrityViolations(db));
    expect(new Set(damaged.map((row) => row.reason))).toEqual(
      new Set(['EVENT_WITHOUT_ENTRIES', 'EVENT_ENTRIES_MISMATCH', 'ENTRY_WITHOUT_SOURCE', 'ENTRY_WRONG_SIGN', 'PAYOUT_ITEMS_MISMATCH', 'PAYOUT_NOT_ZERO_SUM', 'PAYOUT_EVENT_UNMATCHED', 'PAYOUT_EVENT_CONTRADICTED', 'BALANCE_OUT_OF_RANGE', 'DISPUTE_CHARGE_NOT_FOUND', 'DISPUTE_PROJECTION_MISMATCH', 'ENTRIES_NOT_NETTED', 'RECONCILIATION_COUNTS_MISMATCH', 'PAYOUT_FRONTIER_BROKEN', 'BALANCE_CHECKPOINT_MISMATCH', 'STATEMENT_CHECKPOINT_MISMATCH', 'LEDGER_SEAL_BROKEN', 'OUTBOUND_EVENT_MISSING', 'OUTBOUND_DELIVERY_INCONSISTENT']),
    );
    expect(await runBlock('q4_integrity_violations', [])).toEqual(damaged);
  });
});

/** Damage only a superuser around the triggers could do (replica mode skips them), one of each kind. */
async function plantDamageOfEveryKind(db: LedgerDb): Promise<void> {
  await sql`ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_sign_by_type`.execute(db);
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    const eventPk = (eventId: string) => sql`(SELECT id FROM processor_events WHERE event_id = ${eventId})`;
    await sql`DELETE FROM ledger_entries WHERE processor_event_id = ${eventPk('s_1')}`.execute(trx);
    await sql`UPDATE ledger_entries SET amount_minor = amount_minor + 1 WHERE processor_event_id = ${eventPk('s_2')} AND entry_type = 'sale'`.execute(trx);
    await sql`DELETE FROM processor_events WHERE event_id = 's_3'`.execute(trx);
    await sql`UPDATE ledger_entries SET amount_minor = -amount_minor WHERE processor_event_id = ${eventPk('s_4')} AND entry_type = 'sale'`.execute(trx);
    await sql`UPDATE payouts SET amount_minor = amount_minor + 1 WHERE id = (SELECT MIN(id) FROM payouts)`.execute(trx);
    // The disputes projection drifts from its events: a lost dispute shown open, and a hold with a wrong amount.
    await sql`UPDATE disputes SET status = 'open', closed_event_pk = NULL, closed_at = NULL WHERE dispute_id = 'sd_lost'`.execute(trx);
    await sql`UPDATE ledger_entries SET amount_minor = -1 WHERE entry_type = 'dispute_hold' AND processor_event_id = ${eventPk('dispute_opened_sd_open')}`.execute(trx);
    await sql`DELETE FROM ledger_entries WHERE id = (SELECT MIN(id) FROM ledger_entries WHERE entry_type = 'reserve_release')`.execute(trx);
    // A reconciliation that counts a matched payout its lists do not hold.
    await sql`
      INSERT INTO reconciliations (file_sha256, file_bytes, row_count, payout_count, currencies, paid_from, paid_to,
        matched_count, amount_mismatch_count, in_ledger_not_in_report_count, in_report_not_in_ledger_count, result)
      VALUES (repeat('a', 64), 80, 1, 1, ARRAY['PEN'], '2025-12-28', '2025-12-28', 1, 0, 0, 0,
        '{"matched":[],"amount_mismatch":[],"in_ledger_not_in_report":[],"in_report_not_in_ledger":[]}')`.execute(trx);
    await sql`DELETE FROM ledger_entries WHERE entry_type = 'payout' AND payout_id = (SELECT MAX(id) FROM payouts)`.execute(trx);
    // A payout whose recorded prior frontier is no longer its prior payout's.
    await sql`UPDATE payouts SET prior_through_entry_id = prior_through_entry_id + 1 WHERE id = (SELECT MIN(id) FROM payouts WHERE prior_payout_id IS NOT NULL)`.execute(trx);
    // A seal that no longer names the block before it.
    await sql`UPDATE ledger_seals SET prior_hash = sha256(prior_hash) WHERE block_number = 2`.execute(trx);
    // Outbound events lost from the outbox, and a watermark moved past the reconciliation above, never projected.
    await sql`
      DELETE FROM outbound_events
      WHERE source_key IN (SELECT 'dispute.closed:' || dispute_id FROM disputes WHERE status = 'won')
         OR source_key = (SELECT 'payout.failed:' || MIN(id) FROM payouts WHERE status = 'failed')`.execute(trx);
    await sql`UPDATE outbound_projector_state SET watermark = (SELECT MAX(id) FROM reconciliations) WHERE source = 'reconciliations'`.execute(trx);
    // A delivery shown delivered with no attempt in its log.
    await sql`INSERT INTO outbound_subscriptions (url, secret) VALUES ('http://127.0.0.1:9/hook', 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')`.execute(trx);
    await sql`
      INSERT INTO outbound_deliveries (event_id, subscription_id, webhook_id, attempt_limit, status, attempts, delivered_at)
      SELECT MIN(e.id), MAX(s.id), 'msg_q4_damage', 3, 'delivered', 1, now() FROM outbound_events e, outbound_subscriptions s`.execute(trx);
  });
}
