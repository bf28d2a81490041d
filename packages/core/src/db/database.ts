import type { ColumnType, Kysely, Transaction } from 'kysely';
import type { Int8Value } from './int8.ts';

/**
 * int8 as the drivers hand it back: node-postgres gives strings, PGlite numbers or bigints.
 * Read it only through `int8ToSafeInteger` (./int8.ts); never trust the raw value.
 */
export type Int8 = ColumnType<Int8Value, number | bigint, never>;
type GeneratedInt8 = ColumnType<Int8Value, never, never>;
type CreatedAt = ColumnType<Date, never, never>;

export type JsonObject = { [key: string]: unknown };

export interface RestaurantsTable {
  id: string;
  name: string | null;
  maturity_days: number;
  /** Basis points of each new charge held back (migration 2025-12-08T0100). */
  reserve_percent: ColumnType<number, number | undefined, number>;
  reserve_days: ColumnType<number, number | undefined, number>;
  payout_schedule_kind: ColumnType<string, string | undefined, string>;
  payout_schedule_weekday: ColumnType<number | null, number | null | undefined, number | null>;
  payout_schedule_day: ColumnType<number | null, number | null | undefined, number | null>;
  /** currency -> minor units, written as JSON text. */
  payout_minimum: ColumnType<Record<string, number>, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, never, Date>;
}

export interface ProcessorEventsTable {
  id: GeneratedInt8;
  event_id: string;
  event_type: string;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8;
  fee_minor: Int8;
  /** Written as an ISO-8601 string so PostgreSQL keeps its full precision. */
  occurred_at: ColumnType<Date, string, never>;
  metadata: ColumnType<JsonObject, string, never>;
  raw_payload: ColumnType<unknown, string, never>;
  received_at: CreatedAt;
}

type Int8Ref = ColumnType<Int8Value, number | bigint | string, never>;

export interface LedgerEntriesTable {
  id: GeneratedInt8;
  processor_event_id: ColumnType<Int8Value | null, number | bigint | string | null, never>;
  payout_id: ColumnType<Int8Value | null, number | bigint | string | null, never>;
  restaurant_id: string;
  currency: string;
  entry_type: string;
  amount_minor: Int8;
  occurred_at: ColumnType<Date, string, never>;
  available_at: ColumnType<Date, string, never>;
  created_at: CreatedAt;
}

export interface PayoutRunsTable {
  id: GeneratedInt8;
  currency: string;
  /** A calendar date, read back as a string (see to_char in the repository). */
  as_of: ColumnType<unknown, string, never>;
  min_amount: Int8;
  status: ColumnType<string, string | undefined, string>;
  cutoff: ColumnType<Date | null, never, Date | string>;
  cursor_restaurant_id: ColumnType<string | null, never, string | null>;
  created_count: ColumnType<number, never, unknown>;
  skipped_below_min_amount: ColumnType<number, never, unknown>;
  skipped_not_positive: ColumnType<number, never, unknown>;
  skipped_open_payout: ColumnType<number, never, unknown>;
  skipped_already_paid_for_as_of: ColumnType<number, never, unknown>;
  skipped_later_payout_exists: ColumnType<number, never, unknown>;
  skipped_amount_out_of_range: ColumnType<number, never, unknown>;
  skipped_below_payout_minimum: ColumnType<number, never, unknown>;
  trigger: ColumnType<string, string | undefined, never>;
  restaurant_id: ColumnType<string | null, string | null | undefined, never>;
  scheduled_date: ColumnType<unknown, string | null | undefined, never>;
  lease_owner: ColumnType<string | null, never, string | null>;
  lease_expires_at: ColumnType<Date | null, never, unknown>;
  attempts: ColumnType<number, never, unknown>;
  last_error: ColumnType<string | null, never, string | null>;
  requested_at: CreatedAt;
  started_at: ColumnType<Date | null, never, unknown>;
  finished_at: ColumnType<Date | null, never, unknown>;
}

export interface PayoutsTable {
  id: GeneratedInt8;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8;
  as_of: ColumnType<unknown, string, never>;
  cutoff: ColumnType<Date, Date | string, never>;
  run_id: Int8Ref;
  status: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, Date | string, never>;
  paid_at: ColumnType<Date | null, never, Date | string | null>;
  updated_at: ColumnType<Date, never, unknown>;
  /**
   * The settlement frontier after this payout, and the one before it (migration 2025-12-09): the
   * payout settles the entries inside its frontier and outside the prior one, its own payout entry
   * aside (docs/adr/0006-payout-settlement-frontier.md). Never changed.
   */
  settled_through_entry_id: Int8Ref;
  prior_payout_id: ColumnType<Int8Value | null, number | bigint | string | null, never>;
  prior_through_entry_id: Int8Ref;
  prior_cutoff: ColumnType<Date, Date | string, never>;
}

/** Insert-only: what a (restaurant, currency) summed to at a cut (migration 2025-12-05). */
export interface BalanceCheckpointsTable {
  id: GeneratedInt8;
  restaurant_id: string;
  currency: string;
  through_entry_id: Int8Ref;
  cut_at: ColumnType<Date, Date, never>;
  total_minor: ColumnType<string | number, string, never>;
  available_minor: ColumnType<string | number, string, never>;
  entries_read: Int8Ref;
  created_at: CreatedAt;
}

/** Insert-only: one statement checkpoint, replaced whole by the next (migration 2025-12-10T0000). */
export interface StatementCheckpointsTable {
  id: GeneratedInt8;
  restaurant_id: string;
  currency: string;
  through_entry_id: Int8Ref;
  entries_read: Int8Ref;
  created_at: CreatedAt;
}

/** A statement checkpoint's positions, each with the sum of the covered entries before it. */
export interface StatementCheckpointMarksTable {
  checkpoint_id: Int8Ref;
  occurred_at: ColumnType<Date, Date, never>;
  entry_id: Int8Ref;
  balance_before: ColumnType<string | number, string, never>;
  entries_to_next: Int8Ref;
}

/** Insert-only: one block of the ledger's hash chain (migration 2025-12-11T0000, docs/tamper-evidence.md). */
export interface LedgerSealsTable {
  block_number: Int8Ref;
  prior_block: ColumnType<Int8Value | null, number | bigint | string | null, never>;
  prior_hash: ColumnType<Uint8Array, Uint8Array, never>;
  prior_last_entry_id: Int8Ref;
  first_entry_id: Int8Ref;
  last_entry_id: Int8Ref;
  entry_count: ColumnType<number, number, never>;
  hash: ColumnType<Uint8Array, Uint8Array, never>;
  sealed_at: CreatedAt;
}

/** A projection of the dispute events, written in their transactions (migration 2025-12-08). */
export interface DisputesTable {
  id: GeneratedInt8;
  dispute_id: string;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8;
  fee_minor: Int8;
  status: string;
  charge_event_id: string | null;
  payment_id: string | null;
  charge_pk: Int8Ref | null;
  charge_found: boolean;
  opened_event_pk: Int8Ref;
  closed_event_pk: ColumnType<Int8Value | null, never, Int8Value>;
  opened_at: ColumnType<Date, string, never>;
  closed_at: ColumnType<Date | null, never, string>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, never, unknown>;
}

/** Insert-only: one imported settlement report and what it reconciled to (migration 2025-12-08T0200). */
export interface ReconciliationsTable {
  id: GeneratedInt8;
  file_sha256: string;
  file_bytes: Int8;
  row_count: number;
  payout_count: number;
  currencies: ColumnType<string[], string[], never>;
  /** Calendar dates, read back as strings (see to_char in the repository). */
  paid_from: ColumnType<unknown, string, never>;
  paid_to: ColumnType<unknown, string, never>;
  matched_count: number;
  amount_mismatch_count: number;
  in_ledger_not_in_report_count: number;
  in_report_not_in_ledger_count: number;
  result: ColumnType<unknown, string, never>;
  created_at: CreatedAt;
}

/** Shared rate-limit counters (UNLOGGED); written by rate-limits/rate-limit.repository.ts only. */
export interface RateLimitWindowsTable {
  scope: string;
  client_key: string;
  window_start: ColumnType<Date, string, never>;
  window_end: ColumnType<Date, string, never>;
  claimed: Int8;
  last_claim: Int8;
}

/** Where outbound events go (migration 2025-12-11T0100); the secret is read only to sign. */
export interface OutboundSubscriptionsTable {
  id: GeneratedInt8;
  url: string;
  secret: string;
  event_types: ColumnType<string[], string[] | undefined, string[]>;
  description: string | null;
  status: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, never, unknown>;
}

/** Insert-only: the outbox, one row per source fact (UNIQUE source_key). */
export interface OutboundEventsTable {
  id: GeneratedInt8;
  event_type: string;
  source_key: string;
  payload: ColumnType<JsonObject, string, never>;
  occurred_at: ColumnType<Date, string | Date, never>;
  created_at: CreatedAt;
}

export interface OutboundDeliveriesTable {
  id: GeneratedInt8;
  event_id: Int8Ref;
  subscription_id: Int8Ref;
  webhook_id: string;
  status: ColumnType<string, string | undefined, string>;
  attempts: ColumnType<number, never, unknown>;
  attempt_limit: ColumnType<number, number, unknown>;
  next_attempt_at: ColumnType<Date, never, unknown>;
  lease_owner: ColumnType<string | null, never, string | null>;
  lease_expires_at: ColumnType<Date | null, never, unknown>;
  last_status_code: ColumnType<number | null, never, number | null>;
  last_error: ColumnType<string | null, never, string | null>;
  delivered_at: ColumnType<Date | null, never, unknown>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, never, unknown>;
}

/** Insert-only: the delivery log. */
export interface OutboundDeliveryAttemptsTable {
  id: GeneratedInt8;
  delivery_id: Int8Ref;
  attempt: number;
  started_at: ColumnType<Date, Date, never>;
  duration_ms: number;
  status_code: number | null;
  outcome: string;
  error: string | null;
  response_excerpt: string | null;
}

export interface OutboundProjectorStateTable {
  source: string;
  watermark: Int8Ref;
  candidate: ColumnType<Int8Value | null, never, unknown>;
  candidate_at: ColumnType<Date | null, never, unknown>;
  /** Rows at or below it predate outbound events (migration 2025-12-11T0400): Q4 checks (projected_from, watermark]. */
  projected_from: ColumnType<Int8Value, never, never>;
}

export interface Database {
  restaurants: RestaurantsTable;
  processor_events: ProcessorEventsTable;
  ledger_entries: LedgerEntriesTable;
  payout_runs: PayoutRunsTable;
  payouts: PayoutsTable;
  balance_checkpoints: BalanceCheckpointsTable;
  statement_checkpoints: StatementCheckpointsTable;
  statement_checkpoint_marks: StatementCheckpointMarksTable;
  ledger_seals: LedgerSealsTable;
  disputes: DisputesTable;
  reconciliations: ReconciliationsTable;
  rate_limit_windows: RateLimitWindowsTable;
  outbound_subscriptions: OutboundSubscriptionsTable;
  outbound_events: OutboundEventsTable;
  outbound_deliveries: OutboundDeliveriesTable;
  outbound_delivery_attempts: OutboundDeliveryAttemptsTable;
  outbound_projector_state: OutboundProjectorStateTable;
}

export type LedgerDb = Kysely<Database>;
export type LedgerTransaction = Transaction<Database>;
