import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as balances from '../src/balances/balance.repository.ts';
import * as disputes from '../src/disputes/dispute.repository.ts';
import * as events from '../src/events/event.repository.ts';
import { processorEventInputSchema } from '../src/events/event.schema.ts';
import { DOMAIN_EXAMPLE_EVENT } from '../src/events/example-event.ts';
import * as ledger from '../src/ledger/ledger-entry.repository.ts';
import * as seals from '../src/ledger/ledger-seal.repository.ts';
import * as payoutRuns from '../src/payouts/payout-run.repository.ts';
import * as payouts from '../src/payouts/payout.repository.ts';
import * as rateLimits from '../src/rate-limits/rate-limit.repository.ts';
import * as reconciliations from '../src/reconciliations/reconciliation.repository.ts';
import * as reports from '../src/reports/reports.repository.ts';
import * as restaurants from '../src/restaurants/restaurant.repository.ts';
import * as statements from '../src/statements/statement.repository.ts';
import * as statementCheckpoints from '../src/statements/statement-checkpoint.repository.ts';
import { STATEMENT_CHECKPOINT_SPACING } from '../src/limits.ts';
import { type RepositoryCall, recordStatements } from './recording-driver.ts';

/**
 * Writes the SQL of every repository function to packages/core/sql/<repository>.sql, so each query
 * change is reviewed as SQL (as immich does). Functions run against a recording driver, so nothing
 * touches a database. With --check, fails when a committed snapshot differs from what the code
 * generates.
 */
const AT = new Date('2025-12-27T23:59:59.999Z');
// The docs/ledger.md example event without its metadata (the snapshots show the parameters).
const EVENT = processorEventInputSchema.parse({ ...DOMAIN_EXAMPLE_EVENT, metadata: undefined });

/** One call per repository function, with representative arguments. */
const CALLS: Record<string, Record<string, RepositoryCall>> = {
  balance: {
    sumBalanceFromLatestCheckpoint: (db) => balances.sumBalanceFromLatestCheckpoint(db, 'res_001', 'PEN', AT),
    findBalanceCheckpoint: (db) => balances.findBalanceCheckpoint(db, 'res_001', 'PEN', AT),
    sumBalance: (db) =>
      balances.sumBalance(db, 'res_001', 'PEN', AT, { through_entry_id: '1000', cut_at: AT, total_minor: '11400', available_minor: '11400' }),
    sumBalanceWithoutCheckpoint: (db) => balances.sumBalance(db, 'res_001', 'PEN', AT, null),
    lockBalanceForCheckpoint: (_db, trx) => balances.lockBalanceForCheckpoint(trx, 'res_001', 'PEN', 1_000),
    insertBalanceCheckpoint: (_db, trx) =>
      balances.insertBalanceCheckpoint(trx, 'res_001', 'PEN', AT, { through_entry_id: '1000', cut_at: AT, total_minor: '11400', available_minor: '11400' }),
  },
  dispute: {
    findChargeForUpdate: (_db, trx) =>
      disputes.findChargeForUpdate(trx, { restaurant_id: 'res_001', currency: 'PEN', charge_event_id: 'evt_0001', payment_id: 'pay_456' }),
    sumChargeClaims: (_db, trx) =>
      disputes.sumChargeClaims(trx, { id: '1', event_id: 'evt_0001', payment_id: 'pay_456', amount_minor: '12000', restaurant_id: 'res_001', currency: 'PEN' }),
    insertDisputeIfNew: (_db, trx) =>
      disputes.insertDisputeIfNew(trx, {
        dispute_id: 'dp_0001',
        restaurant_id: 'res_001',
        currency: 'PEN',
        amount_minor: 4000,
        fee_minor: 1500,
        charge_event_id: 'evt_0001',
        payment_id: 'pay_456',
        charge_pk: '1',
        opened_event_pk: '2',
        opened_at: EVENT.occurred_at,
      }),
    findDisputeForUpdate: (_db, trx) => disputes.findDisputeForUpdate(trx, 'dp_0001'),
    closeDispute: (_db, trx) => disputes.closeDispute(trx, '1', { status: 'won', closed_event_pk: '3', closed_at: EVENT.occurred_at }),
    findDispute: (db) => disputes.findDispute(db, 'dp_0001'),
    findDisputePage: (db) => disputes.findDisputePage(db, { restaurant_id: 'res_001', currency: 'PEN', status: 'open', afterId: '10' }, 50),
  },
  event: {
    insertEventIfNew: (_db, trx) => events.insertEventIfNew(trx, EVENT, EVENT),
    // One event (the single webhook) binds its fields; several travel as a JSON document.
    recordPlannedEvents: (db) => events.recordPlannedEvents(db, [plannedCharge(EVENT)], 7),
    recordPlannedEventsBatch: (db) => events.recordPlannedEvents(db, [plannedCharge(EVENT), plannedCharge({ ...EVENT, event_id: 'evt_0002' })], 7),
    findEventsWithEntries: (db) => events.findEventsWithEntries(db, [EVENT, { ...EVENT, event_id: 'evt_0002' }]),
  },
  'ledger-entry': {
    insertEventEntries: (_db, trx) =>
      ledger.insertEventEntries(trx, { eventPk: '1', restaurantId: 'res_001', currency: 'PEN', occurredAt: EVENT.occurred_at }, [
        { entry_type: 'sale', amount_minor: 12000, matures_after_days: 7 },
      ]),
    insertEntriesOfEvents: (_db, trx) =>
      ledger.insertEntriesOfEvents(trx, [
        {
          source: { eventPk: '1', restaurantId: 'res_001', currency: 'PEN', occurredAt: EVENT.occurred_at },
          planned: [
            { entry_type: 'sale', amount_minor: 12000, matures_after_days: 7 },
            { entry_type: 'fee', amount_minor: -600, matures_after_days: 7 },
          ],
        },
        { source: { eventPk: '2', restaurantId: 'res_002', currency: 'PEN', occurredAt: EVENT.occurred_at }, planned: [{ entry_type: 'refund', amount_minor: -500, matures_after_days: 0 }] },
      ]),
    listEventEntries: (db) => ledger.listEventEntries(db, '1'),
    listEntriesOfEvents: (db) => ledger.listEntriesOfEvents(db, ['1', '2']),
    insertPayoutReversal: (_db, trx) => ledger.insertPayoutReversal(trx, { eventPk: '1', payoutId: '1', event: EVENT }),
  },
  'ledger-seal': {
    tryLockSealer: (db) => seals.tryLockSealer(db),
    unlockSealer: (db) => seals.unlockSealer(db),
    sealingPosition: (db) => seals.sealingPosition(db),
    sealNextBlock: (db) => seals.sealNextBlock(db, '1000', 1000),
    findSeals: (db) => seals.findSeals(db, 1, 100, 101),
    lastBlockNumber: (db) => seals.lastBlockNumber(db),
    findEntriesAsText: (db) => seals.findEntriesAsText(db, '0', '1000', 1000),
    unsealedEntries: (db) => seals.unsealedEntries(db, '1000'),
  },
  'payout-run': {
    insertPayoutRun: (db) => payoutRuns.insertPayoutRun(db, { currency: 'PEN', as_of: '2025-12-27', min_amount: 5000 }),
    findPayoutRun: (db) => payoutRuns.findPayoutRun(db, '1'),
    claimPayoutRun: (db) => payoutRuns.claimPayoutRun(db, 'worker', AT, 30_000),
    settlePayoutRun: (db) => payoutRuns.settlePayoutRun(db, '1', 'worker', { status: 'completed', now: AT }),
    ledgerWatermark: (db) => payoutRuns.ledgerWatermark(db),
    payChunk: (_db, trx) =>
      payoutRuns.payChunk(trx, {
        runId: '1',
        owner: 'worker',
        terms: { currency: 'PEN', as_of: '2025-12-27', cutoff: AT, min_amount: 5000 },
        watermark: '1000',
        now: AT,
        leaseMs: 30_000,
        batchSize: 200,
      }),
  },
  payout: {
    findPayoutForUpdate: (_db, trx) => payouts.findPayoutForUpdate(trx, '1'),
    setPayoutStatus: (_db, trx) => payouts.setPayoutStatus(trx, '1', 'paid', EVENT.occurred_at),
    markPayoutProcessing: (db) => payouts.markPayoutProcessing(db, '1'),
    findPayout: (db) => payouts.findPayout(db, '1'),
    findPayoutPage: (db) => payouts.findPayoutPage(db, { restaurant_id: 'res_001', currency: 'PEN', status: 'paid', afterId: '10' }, 50),
    findPayoutItems: (db) => payouts.findPayoutItems(db, ['1', '2']),
    findPayoutDeficits: (db) => payouts.findPayoutDeficits(db, ['1', '2']),
  },
  'rate-limit': {
    claimRateLimit: (db) => rateLimits.claimRateLimit(db, { scope: 'webhook_ip', clientKey: '203.0.113.7', limit: 6000, want: 60, windowMs: 60_000 }),
    deleteEndedRateLimitWindows: (db) => rateLimits.deleteEndedRateLimitWindows(db),
  },
  reconciliation: {
    findReconciliation: (db) => reconciliations.findReconciliation(db, '1'),
    findReconciliationByFile: (db) => reconciliations.findReconciliationByFile(db, 'a'.repeat(64)),
    insertReconciliationIfNew: (db) =>
      reconciliations.insertReconciliationIfNew(db, {
        file_sha256: 'a'.repeat(64),
        file_bytes: 120,
        row_count: 2,
        payout_count: 1,
        currencies: ['PEN'],
        paid_from: '2025-12-28',
        paid_to: '2025-12-28',
        counts: { matched: 1, amount_mismatch: 0, in_ledger_not_in_report: 0, in_report_not_in_ledger: 0 },
        result: '{"matched":[],"amount_mismatch":[],"in_ledger_not_in_report":[],"in_report_not_in_ledger":[]}',
      }),
    findPayoutsByIds: (_db, trx) => reconciliations.findPayoutsByIds(trx, ['1', '2']),
    findPaidPayoutsInScope: (_db, trx) => reconciliations.findPaidPayoutsInScope(trx, { currencies: ['PEN'], paid_from: '2025-12-28', paid_to: '2025-12-31' }),
    findSettledItems: (_db, trx) => reconciliations.findSettledItems(trx, ['1', '2']),
  },
  reports: {
    availableBalances: (db) => reports.availableBalances(db, 'PEN', AT, 'res_001', 100),
    topRestaurantsByRevenue: (db) => reports.topRestaurantsByRevenue(db, 'PEN', new Date('2025-11-27T00:00:00Z'), AT, 10),
    payoutEligibility: (db) => reports.payoutEligibility(db, 'PEN', '2025-12-27', AT, 5000),
    restaurantsInDeficit: (db) => reports.restaurantsInDeficit(db, 'PEN', AT, 'res_001', 100),
    integrityViolations: (db) => reports.integrityViolations(db),
  },
  restaurant: {
    findRestaurant: (db) => restaurants.findRestaurant(db, 'res_001'),
    insertRestaurantIfNew: (db) => restaurants.insertRestaurantIfNew(db, { id: 'res_001', name: null, maturity_days: 7 }),
    registerRestaurant: (_db, trx) => restaurants.registerRestaurant(trx, 'res_001', 7),
    registerRestaurants: (_db, trx) => restaurants.registerRestaurants(trx, ['res_001', 'res_002'], 7),
    deleteRestaurantsWithoutEvents: (_db, trx) => restaurants.deleteRestaurantsWithoutEvents(trx, ['res_ghost']),
    updateRestaurantRow: (db) => restaurants.updateRestaurantRow(db, 'res_001', { name: 'Central', maturity_days: 3 }),
  },
  statement: {
    statementPage: (db) => statements.statementPage(db, { restaurantId: 'res_001', currency: 'PEN', to: AT, after: { occurredAt: AT.toISOString(), id: '1' } }, 100, '11400'),
    statementOpening: (db) => statements.statementOpening(db, 'res_001', 'PEN', { occurredAt: AT.toISOString(), id: '1' }),
  },
  'statement-checkpoint': {
    lastEntryId: (_db, trx) => statementCheckpoints.lastEntryId(trx, 'res_001', 'PEN'),
    latestStatementCheckpoint: (_db, trx) => statementCheckpoints.latestStatementCheckpoint(trx, 'res_001', 'PEN'),
    insertStatementCheckpoint: (_db, trx) =>
      statementCheckpoints.insertStatementCheckpoint(trx, 'res_001', 'PEN', '2000', { id: '1', through_entry_id: '1000' }, STATEMENT_CHECKPOINT_SPACING),
    insertFirstStatementCheckpoint: (_db, trx) => statementCheckpoints.insertStatementCheckpoint(trx, 'res_001', 'PEN', '2000', undefined, STATEMENT_CHECKPOINT_SPACING),
    deleteStatementCheckpointsBefore: (_db, trx) => statementCheckpoints.deleteStatementCheckpointsBefore(trx, 'res_001', 'PEN', '2000'),
  },
};

async function snapshot(name: string, calls: Record<string, RepositoryCall>): Promise<string> {
  const parts = [`-- Generated by packages/core/scripts/sql-snapshots.ts from ${name}.repository.ts. Do not edit.\n`];
  for (const [fn, call] of Object.entries(calls)) {
    for (const statement of await recordStatements(call)) {
      const text = statement.sql.replace(/[ \t]+\n/g, '\n').replace(/\n{2,}/g, '\n').trim();
      parts.push(`-- ${fn}\n${text};\n`);
    }
  }
  return parts.join('\n');
}

const directory = new URL('../sql/', import.meta.url);
const check = process.argv.includes('--check');
mkdirSync(directory, { recursive: true });
const stale: string[] = [];
for (const [name, calls] of Object.entries(CALLS)) {
  const file = new URL(`${name}.repository.sql`, directory);
  const generated = await snapshot(name, calls);
  if (!check) writeFileSync(file, generated);
  else if ((() => { try { return readFileSync(file, 'utf8'); } catch { return ''; } })() !== generated) stale.push(`packages/core/sql/${name}.repository.sql`);
}
if (stale.length > 0) {
  console.error(`SQL snapshots out of date: ${stale.join(', ')}. Run \`pnpm sql:generate\` and review the diff.`);
  process.exit(1);
}
console.log(check ? 'SQL snapshots are up to date' : `wrote ${Object.keys(CALLS).length} SQL snapshots to packages/core/sql/`);

/** A charge and its planned entries (sale, fee), as ingestion hands them to recordPlannedEvents. */
function plannedCharge(event: typeof EVENT) {
  return {
    event,
    rawPayload: event,
    planned: [
      { entry_type: 'sale', amount_minor: 12000, available: 'after_maturity_window' },
      { entry_type: 'fee', amount_minor: -600, available: 'after_maturity_window' },
    ] as const,
  };
}
