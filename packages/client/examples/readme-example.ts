import { createLedgerClient, ledgerErrorCode } from '@restaurant-ledger/client';

const ledger = createLedgerClient({
  url: process.env.LEDGER_URL ?? 'http://localhost:3000',
  apiKey: process.env.LEDGER_API_KEY,
});

// Processors POST events to the webhook route; services can record (or replay) them too.
export const recorded = await ledger.events.ingest.mutate({
  event_id: 'evt_sdk_0001',
  event_type: 'charge_succeeded',
  occurred_at: '2025-12-20T15:10:00Z',
  restaurant_id: 'res_sdk',
  currency: 'PEN',
  amount: 12000,
  fee: 600,
});
console.log(recorded.idempotent); // false the first time, true for every replay

export const balance = await ledger.restaurants.balance.query({
  restaurant_id: 'res_sdk',
  currency: 'PEN',
  as_of: '2026-01-01',
});
console.log(balance.available, balance.pending, balance.total); // 11400 0 11400

export const missingCode = await ledger.restaurants.get
  .query({ restaurant_id: 'res_unknown' })
  .then(() => undefined)
  .catch(ledgerErrorCode);
console.log(missingCode); // 'RESTAURANT_NOT_FOUND'
