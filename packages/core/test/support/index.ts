export { createTestDatabase, EMBEDDED_RUN, type TestDatabase } from './test-database.ts';
export { adminQuery, withDatabase } from './global-setup.ts';
export { fixedClock, chargeEvent, refundEvent } from './fixtures.ts';
