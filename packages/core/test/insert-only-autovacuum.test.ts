import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/index.ts';

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});
afterAll(() => testDb.close());

// payout_settlements, the third, became settlement frontiers on payouts (migration 2025-12-09T0000).
describe('autovacuum of the insert-only tables', () => {
  it('vacuums them after every 10,000 inserted rows, whatever their size, so index-only scans stay index-only', async () => {
    const { rows } = await sql<{ relname: string; reloptions: string[] }>`
      SELECT relname, reloptions FROM pg_class
       WHERE relname IN ('processor_events', 'ledger_entries') ORDER BY relname`.execute(testDb.db);
    const settings = ['autovacuum_vacuum_insert_scale_factor=0', 'autovacuum_vacuum_insert_threshold=10000'];
    expect(rows).toEqual([
      { relname: 'ledger_entries', reloptions: settings },
      { relname: 'processor_events', reloptions: settings },
    ]);
  });
});
