export { createTestDatabase, EMBEDDED_RUN, type TestDatabase } from './test-database.ts';
export { adminQuery, withDatabase } from './global-setup.ts';
export { chargeEvent, DOMAIN_EXAMPLE_EVENT, expectLedgerError, fixedClock, refundEvent } from './fixtures.ts';
export { suiteDatabase } from './suite-database.ts';
export { settlementLinks } from './settlement.ts';
