// A program outside the workspace, compiled with strict settings against the packed SDK.
import {
  createLedgerClient,
  isLedgerClientError,
  type LedgerErrorCode,
  type LedgerOutputs,
  signWebhook,
} from '@restaurant-ledger/client';

const ledger = createLedgerClient({
  url: process.env.LEDGER_URL ?? 'http://localhost:3000',
  // string | undefined, accepted under exactOptionalPropertyTypes.
  apiKey: process.env.LEDGER_API_KEY,
  retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 500 },
});

const charge = {
  event_id: 'evt_consumer_0001',
  event_type: 'charge_succeeded',
  occurred_at: '2025-12-20T15:10:00Z',
  restaurant_id: 'res_consumer',
  currency: 'PEN',
  amount: 12000,
  fee: 600,
} as const;

const recorded = await ledger.events.ingest.mutate(charge);
const refundBody = JSON.stringify({ ...charge, event_id: 'evt_consumer_0002', event_type: 'refund_succeeded', amount: 2000, fee: 0 });
const webhook = await fetch(`${process.env.LEDGER_URL}/v1/processor/events`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...signWebhook({ secret: process.env.LEDGER_WEBHOOK_SECRET ?? '', body: refundBody }) },
  body: refundBody,
});

const balance = await ledger.restaurants.balance.query({ restaurant_id: 'res_consumer', currency: 'PEN', as_of: '2026-01-01' });

// Statement paging: pass next_cursor back until it is null (bounded, like every loop here).
const entries: LedgerOutputs['restaurants']['statement']['items'] = [];
let cursor: string | undefined;
let pages = 0;
for (; pages < 100; pages += 1) {
  const page = await ledger.restaurants.statement.query({ restaurant_id: 'res_consumer', currency: 'PEN', limit: 1, ...(cursor !== undefined && { cursor }) });
  entries.push(...page.items);
  if (page.next_cursor === null) break;
  cursor = page.next_cursor;
}
const lastEntry = entries[entries.length - 1]; // noUncheckedIndexedAccess: possibly undefined

let missingCode: LedgerErrorCode | undefined;
try {
  await ledger.restaurants.get.query({ restaurant_id: 'res_unknown' });
} catch (error) {
  if (isLedgerClientError(error) && error.data?.code === 'RESTAURANT_NOT_FOUND') missingCode = error.data.code;
}

console.log(
  JSON.stringify({
    idempotent: recorded.idempotent,
    webhookStatus: webhook.status,
    balance: { available: balance.available, pending: balance.pending, total: balance.total },
    pages: pages + 1,
    entryTypes: entries.map((entry) => entry.entry_type),
    lastRunningBalance: lastEntry?.running_balance ?? null,
    missingCode,
  }),
);

/** Never called: each line must fail to compile, so the types are real (not `any`). */
export function typesAreReal(): void {
  // @ts-expect-error a misspelt procedure does not exist
  void ledger.restaurants.balanse.query({ restaurant_id: 'res_consumer', currency: 'PEN' });
  // @ts-expect-error amount is a number of minor units, not a string
  void ledger.events.ingest.mutate({ ...charge, amount: '12000' });
  // @ts-expect-error not a ledger error code
  const code: LedgerErrorCode = 'NOT_A_CODE';
  void code;
}
