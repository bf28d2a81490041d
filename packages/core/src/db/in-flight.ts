import { sql } from 'kysely';
import type { LedgerDb } from './database.ts';
import type { Int8Value } from './int8.ts';

/**
 * Whether every client transaction open now in this database (the caller's session aside) began
 * after `since`, so none of them can hold an id drawn before it: ids are drawn inside a
 * transaction, after it began. Read from pg_stat_activity: it takes no lock that a writer waits
 * for. Needs the server's role to see its own sessions' `xact_start` (any role sees its own). On
 * the embedded database, a single session, nothing else is ever open.
 */
export async function noTransactionOlderThan(db: LedgerDb, since: Date): Promise<boolean> {
  const { rows } = await sql<{ oldest: Date | null }>`
    SELECT min(xact_start) AS oldest FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND xact_start IS NOT NULL`.execute(db);
  const oldest = rows[0]?.oldest ?? null;
  return oldest === null || oldest.getTime() > since.getTime();
}

/** A sequence's last value, then the database clock: every transaction that began after `at` draws above `value`. */
export async function readSequenceCandidate(db: LedgerDb, sequence: string): Promise<{ value: Int8Value; at: Date }> {
  const last = await sql<{ value: Int8Value | null }>`SELECT pg_sequence_last_value(${sequence}::regclass) AS value`.execute(db);
  // Read after the sequence, in a statement of its own: a transaction that began after this moment draws ids above `value`.
  const clock = await sql<{ at: Date }>`SELECT clock_timestamp() AS at`.execute(db);
  return { value: last.rows[0]?.value ?? 0, at: (clock.rows[0] as { at: Date }).at };
}

const POLL_MS = 2;

/**
 * The sequence's last value once every transaction that could still commit an id at or below it has
 * ended: the value is read, then pg_stat_activity is polled until no transaction that began before
 * that read is open. Writers are never made to wait (unlike ledgerWatermark's bucket locks, which
 * queue new inserts behind the watermark's lock requests). Undefined when such a transaction is
 * still open after `waitMs`: the caller tries again later.
 */
export async function settledSequenceValue(db: LedgerDb, sequence: string, waitMs: number): Promise<Int8Value | undefined> {
  const candidate = await readSequenceCandidate(db, sequence);
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await noTransactionOlderThan(db, candidate.at)) return candidate.value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
