export { type BalanceChange, type BalanceCheck } from './balance-check.ts';
export { generateEvents, renderEventsFile, type GeneratedEvents, type GeneratedStats, type SampleEvent } from './generate-events.ts';
export * from './limits.ts';
export {
  loadEvents,
  type LineProblem,
  type LoadOptions,
  type LoadProgress,
  type LoadSummary,
  type OutcomeCounts,
} from './load-events.ts';
export { PEER_FIELD_RENAMES } from './peer-formats.ts';
export {
  EXIT_DISCREPANCIES,
  EXIT_FILE_REFUSED,
  formatReconciliation,
  type ReconcileOptions,
  type ReconcileOutcome,
  reconcileExitCode,
  reconcileFile,
} from './reconcile.ts';
export { createPrng, type Prng } from './prng.ts';
export { EXIT_CANNOT_START, EXIT_OK, EXIT_PROBLEMS, exitCodeFor, formatSummary } from './summary.ts';
export { EXIT_CHAIN_BROKEN, formatVerification, type LedgerVerification, verifyChain, type VerifyChainOutcome } from './verify-chain.ts';
