import { sql } from 'kysely';
import type { LedgerDb } from './database.ts';

const UNAVAILABLE_CODES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
]);

const TIMEOUT_CODES = new Set([
  '57014', // query_canceled: statement_timeout fired (a slow query, or one waiting for a lock)
  '55P03', // lock_not_available: lock_timeout fired, or NOWAIT met a lock
]);

/**
 * Whether an error means "the database cannot be reached right now" (as opposed to a bad query):
 * connection exceptions (SQLSTATE class 08), server shutdown or recovery, socket failures and a
 * connection that broke under a query. Such failures are answered 503 and are safe to retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_CODES.has(code))) return true;
  return /Connection terminated|not queryable/i.test(error.message);
}

/**
 * Whether an error means "the database did not answer in time": a statement cancelled by
 * statement_timeout or lock_timeout, a query the client stopped waiting for (query_timeout: the
 * server did not answer at all), or no pool connection within the connect timeout (the pool is
 * exhausted or the server does not answer). Answered 503; the transaction rolled back, so a
 * retry is safe.
 */
export function isDatabaseTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return true;
  return /timeout exceeded when trying to connect|^Query read timeout$/i.test(error.message);
}

/**
 * Whether PostgreSQL refused a value itself (SQLSTATE class 22, data exception: a character it
 * cannot store, a number out of range). Validation should catch these first; this is the backstop
 * that keeps them a client error instead of a 500.
 */
export function isDataException(error: unknown): boolean {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * Whether PostgreSQL refused a statement with serialization_failure (SQLSTATE 40001): nothing it
 * did stays, and running it again (single-event ingestion: in a transaction) is safe.
 */
export function isSerializationFailure(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === '40001';
}

/** One round trip to the database; rejects when it cannot answer. */
export async function pingDatabase(db: LedgerDb): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
