import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import type { LedgerDb } from './database.ts';
import * as ledgerFoundation from './migrations/2025-12-01T0000-ledger-foundation.ts';
import * as payouts from './migrations/2025-12-02T0000-payouts.ts';
import * as entryPositionIndex from './migrations/2025-12-03T0000-entry-position-index.ts';
import * as payoutRunOutOfRange from './migrations/2025-12-04T0000-payout-run-out-of-range.ts';
import * as balanceCheckpoints from './migrations/2025-12-05T0000-balance-checkpoints.ts';
import * as insertOnlyAutovacuum from './migrations/2025-12-06T0000-insert-only-autovacuum.ts';
import * as ingestRetrySignal from './migrations/2025-12-06T0100-ingest-retry-signal.ts';
import * as eventTypeRegistry from './migrations/2025-12-07T0000-event-type-registry.ts';
import * as disputes from './migrations/2025-12-08T0000-disputes.ts';
import * as restaurantSettlementSettings from './migrations/2025-12-08T0100-restaurant-settlement-settings.ts';
import * as reconciliations from './migrations/2025-12-08T0200-reconciliations.ts';
import * as payoutSettlementFrontier from './migrations/2025-12-09T0000-payout-settlement-frontier.ts';
import * as entryIdOneSequenceValue from './migrations/2025-12-09T0300-entry-id-one-sequence-value.ts';
import * as rateLimitWindows from './migrations/2025-12-09T0310-rate-limit-windows.ts';
import * as statementCheckpoints from './migrations/2025-12-10T0000-statement-checkpoints.ts';
import * as ledgerSeals from './migrations/2025-12-11T0000-ledger-seals.ts';
import * as outboundEvents from './migrations/2025-12-11T0100-outbound-events.ts';
import * as outboundProjectedFrom from './migrations/2025-12-11T0400-outbound-projected-from.ts';

/** Listed statically (not read from disk) so migrations work the same under tsx, vitest and bundlers. */
const MIGRATIONS: Record<string, Migration> = {
  '2025-12-01T0000-ledger-foundation': ledgerFoundation,
  '2025-12-02T0000-payouts': payouts,
  '2025-12-03T0000-entry-position-index': entryPositionIndex,
  '2025-12-04T0000-payout-run-out-of-range': payoutRunOutOfRange,
  '2025-12-05T0000-balance-checkpoints': balanceCheckpoints,
  '2025-12-06T0000-insert-only-autovacuum': insertOnlyAutovacuum,
  '2025-12-06T0100-ingest-retry-signal': ingestRetrySignal,
  '2025-12-07T0000-event-type-registry': eventTypeRegistry,
  '2025-12-08T0000-disputes': disputes,
  '2025-12-08T0100-restaurant-settlement-settings': restaurantSettlementSettings,
  '2025-12-08T0200-reconciliations': reconciliations,
  '2025-12-09T0000-payout-settlement-frontier': payoutSettlementFrontier,
  '2025-12-09T0300-entry-id-one-sequence-value': entryIdOneSequenceValue,
  '2025-12-09T0310-rate-limit-windows': rateLimitWindows,
  '2025-12-10T0000-statement-checkpoints': statementCheckpoints,
  '2025-12-11T0000-ledger-seals': ledgerSeals,
  '2025-12-11T0100-outbound-events': outboundEvents,
  '2025-12-11T0400-outbound-projected-from': outboundProjectedFrom,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the schema to the named migration, up or down (a test of one migration starts just before it). */
export async function migrateTo(db: LedgerDb, migrationName: string): Promise<MigrationResultSet> {
  return throwOnError(await new Migrator({ db, provider }).migrateTo(migrationName));
}

/** Brings the schema to the latest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: LedgerDb): Promise<MigrationResultSet> {
  return throwOnError(await new Migrator({ db, provider }).migrateToLatest());
}

function throwOnError(result: MigrationResultSet): MigrationResultSet {
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed`, { cause: result.error });
  }
  return result;
}
