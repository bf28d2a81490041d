import { DOMAIN_EXAMPLE_EVENT as EXAMPLE_EVENT } from '@restaurant-ledger/core';
import type { WireErrorCode } from './edge-errors.ts';

/**
 * Example values of the OpenAPI document: one story, the docs/ledger.md example event (evt_0001, res_001,
 * PEN 12000, fee 600) recorded, then paid out by payout run 1 as payout 1. The contract run
 * (apps/server/test/openapi-contract.test.ts) seeds exactly this, so every example names a real object.
 */
type Json = Record<string, unknown>;

const OCCURRED_AT = '2025-12-20T15:10:00.000Z';
const RECEIVED_AT = '2025-12-20T15:10:02.000Z';
const AVAILABLE_AT = '2025-12-27T15:10:00.000Z';
const PAYOUT_CREATED_AT = '2025-12-28T09:00:00.000Z';

const INGEST_RESULT = {
  idempotent: false,
  event: {
    event_id: 'evt_0001',
    event_type: 'charge_succeeded',
    restaurant_id: 'res_001',
    currency: 'PEN',
    amount: 12000,
    fee: 600,
    occurred_at: OCCURRED_AT,
    received_at: RECEIVED_AT,
  },
  entries: [
    { entry_id: '1', entry_type: 'sale', amount: 12000, occurred_at: OCCURRED_AT, available_at: AVAILABLE_AT },
    { entry_id: '2', entry_type: 'fee', amount: -600, occurred_at: OCCURRED_AT, available_at: AVAILABLE_AT },
  ],
};
const REPLAY_RESULT = { ...INGEST_RESULT, idempotent: true };

const RESTAURANT = {
  restaurant_id: 'res_001',
  name: 'La Mar Cebichería',
  maturity_days: 7,
  reserve_percent: 0,
  reserve_days: 0,
  payout_schedule: { kind: 'manual' },
  payout_minimum: {},
  created_at: RECEIVED_AT,
  updated_at: RECEIVED_AT,
};

/** The settlement settings PATCH of docs/settlement-settings.md: 10 % held 30 days, paid Mondays, at least 200.00 PEN. */
const SETTLEMENT_SETTINGS = {
  reserve_percent: 1000,
  reserve_days: 30,
  payout_schedule: { kind: 'weekly', weekday: 1 },
  payout_minimum: { PEN: 20000 },
};

const PAYOUT = {
  payout_id: '1',
  run_id: '1',
  restaurant_id: 'res_001',
  currency: 'PEN',
  amount: 11400,
  status: 'created',
  as_of: '2025-12-27',
  created_at: PAYOUT_CREATED_AT,
  paid_at: null,
  items: [
    { type: 'sale', amount: 12000 },
    { type: 'fee', amount: -600 },
  ],
  deficit_recovered: 0,
};

/** After payout 1, the processor opens dispute dp_0001 on evt_0001 (docs/disputes.md). */
const DISPUTE_OPENED_AT = '2025-12-29T10:00:00.000Z';
const DISPUTE = {
  dispute_id: 'dp_0001',
  restaurant_id: 'res_001',
  currency: 'PEN',
  amount: 4000,
  fee: 1500,
  status: 'open',
  charge_found: true,
  charge: { event_id: 'evt_0001', payment_id: 'pay_456', charge_found: true },
  opened_at: DISPUTE_OPENED_AT,
  closed_at: null,
  created_at: '2025-12-29T10:00:02.000Z',
  events: [{ event_id: 'evt_dispute_0001', event_type: 'dispute_opened', occurred_at: DISPUTE_OPENED_AT }],
};

/** The dispute_opened event of the story, as the processor sends it. */
export const EXAMPLE_DISPUTE_EVENT = {
  event_id: 'evt_dispute_0001',
  event_type: 'dispute_opened',
  occurred_at: '2025-12-29T10:00:00Z',
  restaurant_id: 'res_001',
  currency: 'PEN',
  amount: 4000,
  fee: 1500,
  metadata: { dispute_id: 'dp_0001', charge_event_id: 'evt_0001', payment_id: 'pay_456' },
};

const PAYOUT_RUN = {
  run_id: '1',
  status: 'completed',
  currency: 'PEN',
  as_of: '2025-12-27',
  min_amount: 5000,
  cutoff: '2025-12-27T23:59:59.999Z',
  trigger: 'manual',
  restaurant_id: null,
  scheduled_date: null,
  created: 1,
  skipped: { below_min_amount: 0, not_positive: 0, open_payout: 0, already_paid_for_as_of: 0, later_payout_exists: 0, amount_out_of_range: 0, below_payout_minimum: 0 },
  attempts: 1,
  last_error: null,
  requested_at: PAYOUT_CREATED_AT,
  started_at: PAYOUT_CREATED_AT,
  finished_at: PAYOUT_CREATED_AT,
};

/** The settlement report of the story: payout 1's two items, as the processor paid them on 2025-12-28. */
const SETTLEMENT_REPORT = 'payout_id,amount,currency,paid_date,type,reference\n1,12000,PEN,2025-12-28,charge,evt_0001\n1,-600,PEN,2025-12-28,fee,evt_0001\n';

/** What that report reconciles to once payout 1 is paid (a payout_paid on 2025-12-28). */
const RECONCILIATION = {
  reconciliation_id: '1',
  file_sha256: '5c0b0c5e2a1f8d4e6b3a9c7d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f',
  file_bytes: 127,
  created_at: '2025-12-29T08:00:00.000Z',
  scope: { currencies: ['PEN'], paid_from: '2025-12-28', paid_to: '2025-12-28' },
  counts: { rows: 2, payouts: 1, matched: 1, amount_mismatch: 0, in_ledger_not_in_report: 0, in_report_not_in_ledger: 0 },
  matched: [
    { payout_id: '1', restaurant_id: 'res_001', currency: 'PEN', amount: 11400, paid_date: '2025-12-28', ledger_paid_date: '2025-12-28', differing_items: [] },
  ],
  amount_mismatch: [],
  in_ledger_not_in_report: [],
  in_report_not_in_ledger: [],
};

/** An opaque next_cursor as the server issues it (base64url; pass it back unchanged). */
/** A finance service subscribes to payouts (docs/outbound-events.md); payout 1 is its first delivery. */
const SUBSCRIPTION = {
  subscription_id: '1',
  url: 'https://hooks.example.com/ledger',
  event_types: ['payout.created', 'payout.paid', 'payout.failed'],
  description: 'finance',
  status: 'active',
  created_at: '2025-12-27T08:00:00.000Z',
  updated_at: '2025-12-27T08:00:00.000Z',
};
const SUBSCRIPTION_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJ8eWv5uD6q0=';
const DELIVERY = {
  delivery_id: '1',
  subscription_id: '1',
  webhook_id: 'msg_1_1',
  event: {
    event_id: '1',
    type: 'payout.created',
    occurred_at: PAYOUT_CREATED_AT,
    data: {
      payout_id: '1',
      restaurant_id: 'res_001',
      currency: 'PEN',
      amount: 11400,
      status: 'created',
      as_of: '2025-12-27',
      run_id: '1',
      created_at: PAYOUT_CREATED_AT,
    },
  },
  status: 'delivered',
  attempts: 2,
  attempt_limit: 20,
  next_attempt_at: null,
  delivered_at: '2025-12-28T09:00:06.212Z',
  created_at: '2025-12-28T09:00:01.004Z',
  log: [
    { attempt: 1, started_at: '2025-12-28T09:00:01.020Z', duration_ms: 41, outcome: 'http_error', status_code: 503, error: 'HTTP 503', response_excerpt: 'upstream unavailable' },
    { attempt: 2, started_at: '2025-12-28T09:00:06.180Z', duration_ms: 32, outcome: 'delivered', status_code: 200, error: null, response_excerpt: 'ok' },
  ],
};

const NEXT_CURSOR = 'eyJ2IjoxLCJrIjoicGF5b3V0cyIsImYiOnsiY3VycmVuY3kiOiJQRU4ifSwicCI6eyJpZCI6IjEifX0';

/** Per operation: the request body and the `data` of each success status. */
export const OPERATION_EXAMPLES: Record<string, { request?: unknown; responses: Record<string, unknown> }> = {
  'events-ingest': { request: EXAMPLE_EVENT, responses: { '201': INGEST_RESULT, '200': REPLAY_RESULT } },
  'events-ingestBatch': {
    request: { events: [EXAMPLE_EVENT] },
    responses: {
      '200': {
        results: [{ index: 0, event_id: 'evt_0001', status: 200, success: true, data: REPLAY_RESULT }],
        summary: { created: 0, idempotent: 1, conflicts: 0, rejected: 0 },
      },
    },
  },
  'restaurants-get': { responses: { '200': RESTAURANT } },
  'restaurants-create': {
    request: { restaurant_id: 'res_002', name: 'Isolina Taberna', maturity_days: 7 },
    responses: { '201': { ...RESTAURANT, restaurant_id: 'res_002', name: 'Isolina Taberna' } },
  },
  'restaurants-update': {
    request: { name: 'La Mar Cebichería', maturity_days: 7, ...SETTLEMENT_SETTINGS },
    responses: { '200': { ...RESTAURANT, ...SETTLEMENT_SETTINGS } },
  },
  'restaurants-statement': {
    responses: {
      '200': {
        restaurant_id: 'res_001',
        currency: 'PEN',
        items: [
          { entry_id: '1', entry_type: 'sale', amount: 12000, occurred_at: OCCURRED_AT, available_at: AVAILABLE_AT, event_id: 'evt_0001', payout_id: null, running_balance: 12000 },
          { entry_id: '2', entry_type: 'fee', amount: -600, occurred_at: OCCURRED_AT, available_at: AVAILABLE_AT, event_id: 'evt_0001', payout_id: null, running_balance: 11400 },
        ],
        next_cursor: null,
      },
    },
  },
  'restaurants-balance': {
    responses: {
      '200': { restaurant_id: 'res_001', currency: 'PEN', available: 11400, pending: 0, reserved: 0, total: 11400, last_event_at: OCCURRED_AT, as_of: '2025-12-27T23:59:59.000Z' },
    },
  },
  'payouts-run': {
    request: { currency: 'PEN', as_of: '2025-12-27', min_amount: 5000 },
    responses: { '202': { ...PAYOUT_RUN, status: 'queued', cutoff: null, created: 0, attempts: 0, started_at: null, finished_at: null } },
  },
  'payouts-getRun': { responses: { '200': PAYOUT_RUN } },
  'payouts-listRuns': { responses: { '200': { items: [PAYOUT_RUN], next_cursor: null } } },
  'payouts-get': { responses: { '200': PAYOUT } },
  'payouts-list': { responses: { '200': { items: [PAYOUT], next_cursor: NEXT_CURSOR } } },
  'payouts-markProcessing': { responses: { '200': { ...PAYOUT, status: 'processing' } } },
  'reports-balances': {
    responses: { '200': { currency: 'PEN', as_of: '2025-12-27T23:59:59.000Z', items: [{ restaurant_id: 'res_001', available: 11400, last_event_at: OCCURRED_AT }], next_cursor: null } },
  },
  'reports-topRestaurants': {
    responses: {
      '200': { currency: 'PEN', from: '2025-11-27T23:59:59.000Z', to: '2025-12-27T23:59:59.000Z', items: [{ rank: 1, restaurant_id: 'res_001', net_revenue: 11400, charges: 1, refunds: 0 }] },
    },
  },
  'reports-payoutEligibility': {
    responses: { '200': { currency: 'PEN', as_of: '2025-12-27', cutoff: '2025-12-27T23:59:59.999Z', items: [{ restaurant_id: 'res_001', amount: 11400 }] } },
  },
  'reports-deficits': {
    responses: {
      '200': {
        currency: 'PEN',
        as_of: '2025-12-30T09:00:00.000Z',
        items: [{ restaurant_id: 'res_001', currency: 'PEN', deficit: 5500, since: DISPUTE_OPENED_AT, age_days: 0 }],
        next_cursor: null,
      },
    },
  },
  'disputes-list': { responses: { '200': { items: [DISPUTE], next_cursor: null } } },
  'disputes-get': { responses: { '200': DISPUTE } },
  'reports-integrity': { responses: { '200': { healthy: true, items: [] } } },
  'ledger-verify': {
    responses: {
      '200': {
        ok: true,
        sealed_through_entry_id: '3',
        last_block: 1,
        last_hash: '5f0c7c4e0bd3b1a3a39f1b0b7fd5b2d1c1a4f9d6e1f2a0f6c1e3b3d7a8c9e0f1',
        blocks_checked: 1,
        entries_checked: 3,
        unsealed_entries: 0,
        sealing_lag_seconds: 0,
        first_broken: null,
      },
    },
  },
  'reconciliations-import': {
    request: SETTLEMENT_REPORT,
    responses: { '201': { ...RECONCILIATION, idempotent: false }, '200': { ...RECONCILIATION, idempotent: true } },
  },
  'reconciliations-get': { responses: { '200': RECONCILIATION } },
  'subscriptions-create': {
    request: { url: SUBSCRIPTION.url, event_types: SUBSCRIPTION.event_types, description: 'finance' },
    responses: { '201': { ...SUBSCRIPTION, secret: SUBSCRIPTION_SECRET } },
  },
  'subscriptions-list': { responses: { '200': { items: [SUBSCRIPTION], next_cursor: null } } },
  'subscriptions-get': { responses: { '200': SUBSCRIPTION } },
  // Subscription 2: a second one, to the same host, that its owner no longer wants.
  'subscriptions-disable': {
    responses: { '200': { ...SUBSCRIPTION, subscription_id: '2', description: 'old dashboard', status: 'disabled', updated_at: '2026-01-05T10:00:00.000Z' } },
  },
  'subscriptions-rotateSecret': {
    responses: { '200': { ...SUBSCRIPTION, updated_at: '2026-01-05T10:00:00.000Z', secret: 'whsec_3mZqk2b9YhQpL0xV7cT1aR4nW8sD6fG5jK2uE9iO0pA=' } },
  },
  'subscriptions-deliveries': { responses: { '200': { items: [DELIVERY], next_cursor: null } } },
  'subscriptions-replay': {
    responses: { '202': { ...DELIVERY, status: 'pending', attempt_limit: 22, next_attempt_at: '2026-01-05T10:00:00.000Z' } },
  },
  'probes-health': { responses: { '200': { status: 'ok' } } },
  'probes-ready': { responses: { '200': { status: 'ready', database: 'reachable' } } },
};

/**
 * Values of path and query parameters, by name: the seeded objects of the story above. No cursor:
 * a cursor is only valid on the route and filters that issued it.
 */
export const PARAMETER_EXAMPLES: Record<string, unknown> = {
  restaurant_id: 'res_001',
  payout_id: '1',
  run_id: '1',
  from_block: 1,
  to_block: 1,
  reconciliation_id: '1',
  currency: 'PEN',
  as_of: '2025-12-27',
  min_amount: 5000,
  days: 30,
  limit: 10,
  status: 'created',
  trigger: 'manual',
  scheduled_date: '2025-12-27',
  from: '2025-12-01',
  to: '2025-12-31',
  format: 'json',
  dispute_id: 'dp_0001',
  subscription_id: '1',
  delivery_id: '1',
  'webhook-id': 'msg_2Lh9Kq3ZrX1',
  'webhook-timestamp': '1766243402',
};

/** Parameter values that differ by operation (a dispute's status is not a payout's). */
export const OPERATION_PARAMETER_EXAMPLES: Record<string, Record<string, unknown>> = {
  'disputes-list': { status: 'open' },
  'subscriptions-deliveries': { status: 'delivered' },
  'subscriptions-disable': { subscription_id: '2' },
};

/** One message a client may see for each code, for the examples of error responses. */
export const ERROR_EXAMPLES: Record<WireErrorCode, { message: string; details: Json }> = {
  VALIDATION_ERROR: { message: 'Invalid request', details: { issues: [{ field: 'currency', message: 'currency must be an ISO 4217 code such as PEN' }] } },
  MALFORMED_JSON: { message: 'The request body is not valid JSON', details: {} },
  UNSUPPORTED_MEDIA_TYPE: { message: 'Send the body as application/json', details: {} },
  EVENT_INVALID_TYPE: { message: 'event_type must be one of charge_succeeded, refund_succeeded, payout_paid, payout_failed', details: { field: 'event_type' } },
  EVENT_INVALID_FEE: { message: 'fee must not exceed amount', details: { field: 'fee' } },
  EVENT_ID_CONFLICT: { message: 'event evt_0001 was already recorded with different content', details: { event_id: 'evt_0001' } },
  RESTAURANT_NOT_FOUND: { message: 'restaurant res_404 not found', details: { restaurant_id: 'res_404' } },
  RESTAURANT_ALREADY_EXISTS: { message: 'restaurant res_001 already exists', details: { restaurant_id: 'res_001' } },
  PAYOUT_NOT_FOUND: { message: 'payout 404 not found', details: { payout_id: '404' } },
  PAYOUT_RUN_NOT_FOUND: { message: 'payout run 404 not found', details: { run_id: '404' } },
  PAYOUT_STATUS_CONFLICT: { message: 'payout 1 is already paid', details: { payout_id: '1', status: 'paid' } },
  AMOUNT_OUT_OF_RANGE: { message: 'the amount is beyond 2^53-1 minor units', details: {} },
  CURSOR_INVALID: {
    message: 'cursor: the cursor was issued by another route (payouts)',
    details: { field: 'cursor', route: 'statement', reason: 'other_route' },
  },
  DISPUTE_NOT_FOUND: { message: 'dispute dp_404 not found', details: { dispute_id: 'dp_404' } },
  DISPUTE_NOT_OPEN: { message: 'no dispute dp_0002 was opened', details: { dispute_id: 'dp_0002' } },
  DISPUTE_ALREADY_CLOSED: { message: 'dispute dp_0001 is already won', details: { dispute_id: 'dp_0001', status: 'won' } },
  DISPUTE_ALREADY_EXISTS: { message: 'dispute dp_0001 was already opened by another event', details: { dispute_id: 'dp_0001' } },
  DISPUTE_MISMATCH: { message: 'dispute dp_0001 was opened with another amount', details: { dispute_id: 'dp_0001', differing_fields: ['amount'] } },
  DISPUTE_EXCEEDS_CHARGE: {
    message: 'dispute dp_0002 is for more than is left of charge evt_0001',
    details: { dispute_id: 'dp_0002', charge_event_id: 'evt_0001', amount: 9000, charge_amount: 12000, refunded: 0, disputed: 4000, disputable: 8000 },
  },
  RECONCILIATION_FILE_INVALID: {
    message: 'The settlement report is malformed; nothing was imported. Bad lines: 3',
    details: { bad_lines: [3], lines: [{ line: 3, problems: [{ field: 'amount', message: 'must be a whole number of minor units, e.g. 12000 or -600' }] }] },
  },
  RECONCILIATION_NOT_FOUND: { message: 'reconciliation 404 not found', details: { reconciliation_id: '404' } },
  SUBSCRIPTION_NOT_FOUND: { message: 'subscription 404 not found', details: { subscription_id: '404' } },
  SUBSCRIPTION_DISABLED: { message: 'subscription 1 is disabled', details: { subscription_id: '1' } },
  SUBSCRIPTION_URL_NOT_ALLOWED: {
    message: 'url: the host 169.254.169.254 is not in LEDGER_OUTBOUND_ALLOWED_HOSTS',
    details: { field: 'url', reason: 'the host 169.254.169.254 is not in LEDGER_OUTBOUND_ALLOWED_HOSTS' },
  },
  DELIVERY_NOT_FOUND: { message: 'delivery 404 of subscription 1 not found', details: { subscription_id: '1', delivery_id: '404' } },
  ROUTE_NOT_FOUND: { message: 'No such route', details: {} },
  MALFORMED_REQUEST: { message: 'The request could not be parsed', details: {} },
  HEADERS_TOO_LARGE: { message: 'The request headers are too large', details: {} },
  AUTH_REQUIRED: { message: 'A valid API key is required (Authorization: Bearer <key>)', details: {} },
  WEBHOOK_SIGNATURE_INVALID: { message: 'The webhook signature does not match', details: {} },
  RATE_LIMITED: { message: 'Too many requests; retry after the window resets', details: {} },
  PAYLOAD_TOO_LARGE: { message: 'The request body is too large', details: {} },
  SERVICE_UNAVAILABLE: { message: 'The database is unavailable; retry shortly', details: { reason: 'database_unreachable' } },
  INTERNAL_ERROR: { message: 'Internal error', details: {} },
};

export const EXAMPLE_META = { timestamp: RECEIVED_AT, request_id: '6f1c2a4e-8b7d-4f0a-9c3e-2d5b7a9e1f04' };
