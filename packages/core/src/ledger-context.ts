import type { Clock } from './clock.ts';
import type { LedgerDb } from './db/database.ts';

/**
 * What every core service needs: the database, a clock, and the settings that shape rules.
 * It is the tRPC "inner context": tests build it directly, without HTTP.
 */
export interface LedgerContext {
  db: LedgerDb;
  clock: Clock;
  /** Maturity window given to restaurants registered by their first event. */
  defaultMaturityDays: number;
}
