import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importReconciliation, type LedgerContext, SETTLEMENT_REPORT_HEADER } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from './support/index.ts';

// PostgreSQL only: the embedded database has one connection, so nothing there runs concurrently.
let testDb: TestDatabase;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: () => new Date('2026-01-15T12:00:00Z') });
});
afterAll(() => testDb.close());

describe('concurrent imports of one settlement report', () => {
  it('store one reconciliation: one import is new, the others answer it as a replay', async () => {
    const pools = Array.from({ length: 6 }, () => testDb.openPool(1));
    const text = `${SETTLEMENT_REPORT_HEADER}\n77,30000,PEN,2025-12-22,charge,r_b1\n77,-900,PEN,2025-12-22,fee,r_b1\n`;
    const results = await Promise.all(pools.map((db) => importReconciliation({ ...ctx, db }, text)));
    expect(new Set(results.map((r) => r.reconciliation_id)).size).toBe(1);
    expect(results.filter((r) => !r.idempotent)).toHaveLength(1);
    expect(results[0]?.in_report_not_in_ledger.map((item) => item.payout_id)).toEqual(['77']);
    const sha = results[0]?.file_sha256 ?? '';
    const stored = await sql<{ n: string }>`SELECT count(*)::text AS n FROM reconciliations WHERE file_sha256 = ${sha}`.execute(testDb.db);
    expect(stored.rows[0]?.n).toBe('1');
  });
});
