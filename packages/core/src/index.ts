export { type Clock, systemClock } from './clock.ts';
export {
  APPLICATION_NAME,
  type DatabaseTarget,
  type OpenDatabase,
  openDatabase,
  SESSION_OPTIONS,
  type PoolStats,
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
  type CheckpointKind,
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
  listPayoutRuns,
  PAYOUT_RUN_OUTCOMES,
  type PayoutRunOptions,
  type PayoutRunOutcome,
  requestPayoutRun,
  workNextPayoutRun,
} from './payouts/payout-run.service.ts';
export { type PayoutWorker, startPayoutWorker } from './payouts/payout-worker.ts';
export {
  createScheduledRuns,
  type PayoutScheduler,
  type ScheduleTick,
  scheduleDayOf,
  startPayoutScheduler,
} from './payouts/payout-scheduler.ts';
export * from './reports/report.schema.ts';
export { balancesReport, deficitsReport, integrityReport, payoutEligibilityReport, topRestaurants } from './reports/reports.service.ts';
export * from './statements/statement.schema.ts';
export { getStatement, STATEMENT_CSV_HEADER, statementCsvLine, statementLines } from './statements/statement.service.ts';
export { type StatementCheckpointWritten, writeStatementCheckpoint } from './statements/statement-checkpoint.service.ts';
export * from './disputes/dispute.schema.ts';
export { getDispute, listDisputes } from './disputes/dispute.service.ts';
export * from './reconciliations/reconciliation.schema.ts';
export { getReconciliation, importReconciliation } from './reconciliations/reconciliation.service.ts';
export { decodeSettlementReport } from './reconciliations/settlement-report.ts';
export { REPORT_TYPE_OF_ENTRY } from './reconciliations/report-item-types.ts';
export { claimRateLimit, deleteEndedRateLimitWindows, type RateLimitClaim, type RateLimitClaimRequest } from './rate-limits/rate-limit.repository.ts';
export * from './ledger/ledger-seal.schema.ts';
export { verifyLedgerChain } from './ledger/ledger-seal-verify.ts';
export { type LedgerSealer, type SealLook, sealPendingEntries, startLedgerSealer } from './ledger/ledger-sealer.ts';
export { type BackgroundLoop, type PassOutcome, startBackgroundLoop } from './background/background-loop.ts';
export * from './outbound/outbound.schema.ts';
export {
  createSubscription,
  disableSubscription,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  replayDelivery,
  rotateSubscriptionSecret,
} from './outbound/subscription.service.ts';
export { deliverDueEvents, deliveryBody, type OutboundDeliverer, type Projection, projectOutboundEvents, startOutboundDeliverer } from './outbound/outbound-deliverer.ts';
export { type OutboundSettings, retryDelayMs } from './outbound/outbound-settings.ts';
export { admitHost, isPrivateAddress, refusedUrlReason } from './outbound/outbound-url.ts';
