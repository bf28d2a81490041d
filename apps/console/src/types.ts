/**
 * The API's answers, as far as the console reads them (docs/api.md, the OpenAPI document at
 * /openapi.json). Amounts are minor units: JSON numbers today, strings tolerated (format.ts).
 */
import type { MinorUnits } from './format.ts';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface BalancesReport extends Page<{ restaurant_id: string; available: MinorUnits; last_event_at: string | null }> {
  currency: string;
  as_of: string;
}

export interface DeficitsReport extends Page<{ restaurant_id: string; currency: string; deficit: MinorUnits; since: string; age_days: number }> {
  currency: string;
  as_of: string;
}

export interface Balance {
  restaurant_id: string;
  currency: string;
  available: MinorUnits;
  pending: MinorUnits;
  reserved: MinorUnits;
  total: MinorUnits;
  last_event_at: string | null;
  as_of: string;
}

export interface Restaurant {
  restaurant_id: string;
  name: string | null;
  maturity_days: number;
  reserve_percent: number;
}

export interface StatementLine {
  entry_id: string;
  entry_type: string;
  amount: MinorUnits;
  occurred_at: string;
  available_at: string;
  event_id: string | null;
  payout_id: string | null;
  running_balance: MinorUnits;
}

export interface Statement extends Page<StatementLine> {
  restaurant_id: string;
  currency: string;
}

export interface PayoutRun {
  run_id: string;
  status: string;
  currency: string;
  as_of: string;
  min_amount: number;
  cutoff: string | null;
  trigger: string;
  restaurant_id: string | null;
  scheduled_date: string | null;
  created: number;
  skipped: Record<string, number>;
  attempts: number;
  last_error: string | null;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Payout {
  payout_id: string;
  run_id: string;
  restaurant_id: string;
  currency: string;
  amount: MinorUnits;
  status: string;
  as_of: string;
  created_at: string;
  paid_at: string | null;
  items: { type: string; amount: MinorUnits }[];
  deficit_recovered: number;
}

export interface Dispute {
  dispute_id: string;
  restaurant_id: string;
  currency: string;
  amount: MinorUnits;
  fee: MinorUnits;
  status: string;
  charge_found: boolean;
  charge: { event_id: string | null; payment_id: string | null; charge_found: boolean };
  opened_at: string;
  closed_at: string | null;
  events: { event_id: string; event_type: string; occurred_at: string }[];
}

export interface IntegrityReport {
  healthy: boolean;
  items: { reason: string; event_id: string | null; entry_id: string | null; payout_id: string | null; detail: string }[];
}

/** GET /v1/ledger/verify (docs/tamper-evidence.md). */
export interface LedgerVerification {
  ok: boolean;
  sealed_through_entry_id: string;
  last_block: number;
  last_hash: string | null;
  blocks_checked: number;
  entries_checked: number;
  unsealed_entries: number;
  sealing_lag_seconds: number;
  first_broken: {
    block: number;
    reason: string;
    expected_hash: string;
    actual_hash: string | null;
    entries_sealed: number;
    entries_found: number | null;
  } | null;
}

/** A subscription as the API shows it: never its secret (docs/outbound-events.md). */
export interface Subscription {
  subscription_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  delivery_id: string;
  subscription_id: string;
  webhook_id: string;
  event: { event_id: string; type: string; occurred_at: string; data: Record<string, unknown> };
  status: string;
  attempts: number;
  attempt_limit: number;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
  log: {
    attempt: number;
    started_at: string;
    duration_ms: number;
    outcome: string;
    status_code: number | null;
    error: string | null;
    response_excerpt: string | null;
  }[];
}
