import type { BalanceCheckpointer } from './balances/balance-checkpoint.service.ts';
import type { Clock } from './clock.ts';
import type { LedgerDb } from './db/database.ts';
import type { EventRegistry } from './events/registry.ts';
import type { OutboundSettings } from './outbound/outbound-settings.ts';

/**
 * What every core service needs: the database, a clock, and the settings that shape rules.
 * It is the tRPC "inner context": tests build it directly, without HTTP.
 */
export interface LedgerContext {
  db: LedgerDb;
  clock: Clock;
  /** Maturity window given to restaurants registered by their first event. */
  defaultMaturityDays: number;
  /**
   * Where balance reads ask for a checkpoint when they had to read many entries. Optional: without
   * it balances are just as exact, and cost grows with the history since the last checkpoint.
   */
  balanceCheckpoints?: Pick<BalanceCheckpointer, 'request'>;
  /** Entries a balance may read beyond its checkpoint before it asks for a new one. */
  checkpointAfterEntries?: number;
  /** The event types ingestion applies; EVENT_REGISTRY when absent. Tests extend it with their own. */
  eventRegistry?: EventRegistry;
  /** Outbound events: the allow-list, timeouts and retries (defaults: outbound-settings.ts; an empty allow-list). */
  outbound?: Partial<OutboundSettings>;
}
