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

/**
 * Whether an error means "the database cannot be reached right now" (as opposed to a bad query):
 * connection exceptions (SQLSTATE class 08), server shutdown or recovery, socket failures and a
 * pool that could not connect in time. Such failures are answered 503 and are safe to retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_CODES.has(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect/i.test(error.message);
}

/**
 * Whether PostgreSQL cancelled a statement that ran past statement_timeout (SQLSTATE 57014). The
 * database is overloaded or a query is too slow: answered 503, safe to retry.
 */
export function isStatementTimeout(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === '57014';
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

/** One round trip to the database; rejects when it cannot answer. */
export async function pingDatabase(db: LedgerDb): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
