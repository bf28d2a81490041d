export { type Clock, systemClock } from './clock.ts';
export {
  APPLICATION_NAME,
  CONNECT_TIMEOUT_MS_DEFAULT,
  QUERY_TIMEOUT_MARGIN_MS,
  type DatabaseTarget,
  type OpenDatabase,
  openDatabase,
  POOL_SIZE_DEFAULT,
  SESSION_OPTIONS,
  type PoolStats,
  STATEMENT_TIMEOUT_MS_DEFAULT,
} from './db/connect.ts';
export type { Database, LedgerDb, LedgerTransaction } from './db/database.ts';
export { isDatabaseTimeout, isDatabaseUnavailable, isDataException, pingDatabase } from './db/availability.ts';
export { type Int8Value, int8ToId, int8ToSafeInteger } from './db/int8.ts';
export { migrateToLatest } from './db/migrate.ts';
export { CodedError, ERROR_CODES, type ErrorCode, type ErrorDetails, isLedgerError, LedgerError } from './errors.ts';
export * from './events/event.schema.ts';
export { DOMAIN_EXAMPLE_EVENT } from './events/example-event.ts';
export { ingestEvent, type BatchItemOutcome, ingestEventBatch } from './events/ingest.ts';
export { createEventRegistry, EVENT_REGISTRY, type EventRegistry } from './events/registry.ts';
export type { EventTypeDefinition } from './events/event-type.ts';
export type { LedgerContext } from './ledger-context.ts';
export * from './limits.ts';
export { findRoundedNumber, findUnstorableString, isStorableString, jsonDepthExceeds } from './json-safety.ts';
export * from './restaurants/restaurant.schema.ts';
export { createRestaurant, getRestaurant, updateRestaurant } from './restaurants/restaurant.service.ts';
export * from './balances/balance.schema.ts';
export { getBalance } from './balances/balance.service.ts';
export {
  type BalanceCheckpointer,
  CHECKPOINT_AFTER_ENTRIES_DEFAULT,
  type CheckpointWritten,
  startBalanceCheckpointer,
  writeBalanceCheckpoint,
} from './balances/balance-checkpoint.service.ts';
export { type FieldIssue, ledgerErrorFromZod } from './validation.ts';
export { AS_OF_MESSAGE } from './shared-schemas.ts';
export * from './payouts/payout.schema.ts';
export { getPayout, listPayouts, markProcessing } from './payouts/payout.service.ts';
export {
  getPayoutRun,
  PAYOUT_BATCH_SIZE_DEFAULT,
  PAYOUT_LEASE_MS_DEFAULT,
  PAYOUT_RUN_OUTCOMES,
  type PayoutRunOptions,
  type PayoutRunOutcome,
  requestPayoutRun,
  workNextPayoutRun,
} from './payouts/payout-run.service.ts';
export { PAYOUT_POLL_INTERVAL_MS_DEFAULT, type PayoutWorker, startPayoutWorker } from './payouts/payout-worker.ts';
export * from './reports/report.schema.ts';
export { balancesReport, integrityReport, payoutEligibilityReport, topRestaurants } from './reports/reports.service.ts';
export * from './statements/statement.schema.ts';
export { getStatement, STATEMENT_CSV_HEADER, statementCsvLine, statementLines } from './statements/statement.service.ts';
export * from './reconciliations/reconciliation.schema.ts';
export { getReconciliation, importReconciliation } from './reconciliations/reconciliation.service.ts';
export { decodeSettlementReport } from './reconciliations/settlement-report.ts';
export { REPORT_TYPE_OF_ENTRY } from './reconciliations/report-item-types.ts';
