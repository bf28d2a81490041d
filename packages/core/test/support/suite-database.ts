import { afterAll, beforeAll } from 'vitest';
import type { LedgerContext } from '../../src/ledger-context.ts';
import { fixedClock } from './fixtures.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/**
 * A fresh database for the enclosing suite, opened before its tests and closed after them, with a
 * context whose clock stands at `nowIso`. Call it at suite level; read `.ctx` inside the tests.
 */
export function suiteDatabase(nowIso: string): { readonly testDb: TestDatabase; readonly ctx: LedgerContext } {
  let testDb: TestDatabase | undefined;
  let ctx: LedgerContext | undefined;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    ctx = testDb.context({ clock: fixedClock(nowIso) });
  });
  afterAll(() => testDb?.close());
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('suiteDatabase is read before its beforeAll ran');
    return value;
  };
  return {
    get testDb() {
      return opened(testDb);
    },
    get ctx() {
      return opened(ctx);
    },
  };
}
