import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';
import { entriesSettledBy } from '../payouts/payout-eligibility.repository.ts';

export interface ReconciliationRow {
  id: Int8Value;
  file_sha256: string;
  file_bytes: Int8Value;
  row_count: number;
  payout_count: number;
  currencies: string[];
  paid_from: string;
  paid_to: string;
  matched_count: number;
  amount_mismatch_count: number;
  in_ledger_not_in_report_count: number;
  in_report_not_in_ledger_count: number;
  result: unknown;
  created_at: Date;
}

export interface NewReconciliation {
  file_sha256: string;
  file_bytes: number;
  row_count: number;
  payout_count: number;
  currencies: readonly string[];
  paid_from: string;
  paid_to: string;
  counts: { matched: number; amount_mismatch: number; in_ledger_not_in_report: number; in_report_not_in_ledger: number };
  /** The four lists, as JSON text. */
  result: string;
}

export interface LedgerPayoutRow {
  payout_id: string;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8Value;
  status: string;
  paid_date: string | null;
}

export interface SettledItemRow {
  payout_id: string;
  entry_type: string;
  amount_minor: Int8Value;
  event_id: string | null;
  payment_id: string | null;
}

const RECONCILIATION_COLUMNS = sql`
  id, file_sha256, file_bytes, row_count, payout_count, currencies,
  to_char(paid_from, 'YYYY-MM-DD') AS paid_from, to_char(paid_to, 'YYYY-MM-DD') AS paid_to,
  matched_count, amount_mismatch_count, in_ledger_not_in_report_count, in_report_not_in_ledger_count, result, created_at`;

const LEDGER_PAYOUT_COLUMNS = sql`
  id::text AS payout_id, restaurant_id, currency, amount_minor, status,
  to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS paid_date`;

/** Ids travel as one JSON array: one parameter whatever their number (a report may name thousands). */
const idsIn = (ids: readonly string[]) => sql`(SELECT value::bigint FROM jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

export async function findReconciliation(db: LedgerDb, id: string): Promise<ReconciliationRow | undefined> {
  const { rows } = await sql<ReconciliationRow>`SELECT ${RECONCILIATION_COLUMNS} FROM reconciliations WHERE id = ${id}`.execute(db);
  return rows[0];
}

export async function findReconciliationByFile(db: LedgerDb, fileSha256: string): Promise<ReconciliationRow | undefined> {
  const { rows } = await sql<ReconciliationRow>`SELECT ${RECONCILIATION_COLUMNS} FROM reconciliations WHERE file_sha256 = ${fileSha256}`.execute(db);
  return rows[0];
}

/**
 * Stores a reconciliation unless one of the same file exists: UNIQUE (file_sha256) decides, so of
 * concurrent imports of one file exactly one inserts. Returns the row when this call inserted it.
 */
export async function insertReconciliationIfNew(db: LedgerDb, value: NewReconciliation): Promise<ReconciliationRow | undefined> {
  const { rows } = await sql<ReconciliationRow>`
    INSERT INTO reconciliations (
      file_sha256, file_bytes, row_count, payout_count, currencies, paid_from, paid_to,
      matched_count, amount_mismatch_count, in_ledger_not_in_report_count, in_report_not_in_ledger_count, result)
    SELECT ${value.file_sha256}, ${value.file_bytes}, ${value.row_count}, ${value.payout_count},
      ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(value.currencies)}::jsonb)), ${value.paid_from}::date, ${value.paid_to}::date,
      ${value.counts.matched}, ${value.counts.amount_mismatch}, ${value.counts.in_ledger_not_in_report}, ${value.counts.in_report_not_in_ledger},
      ${value.result}::jsonb
    ON CONFLICT (file_sha256) DO NOTHING
    RETURNING ${RECONCILIATION_COLUMNS}`.execute(db);
  return rows[0];
}

/** The payouts with these ids (ids in the database's format only; the caller drops the others). */
export async function findPayoutsByIds(trx: LedgerTransaction, ids: readonly string[]): Promise<LedgerPayoutRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<LedgerPayoutRow>`
    SELECT ${LEDGER_PAYOUT_COLUMNS} FROM payouts WHERE id IN ${idsIn(ids)} ORDER BY id`.execute(trx);
  return rows;
}

/** Paid payouts in these currencies whose paid_at falls on a day (UTC) from `from` to `to`. */
export async function findPaidPayoutsInScope(
  trx: LedgerTransaction,
  scope: { currencies: readonly string[]; paid_from: string; paid_to: string },
): Promise<LedgerPayoutRow[]> {
  const { rows } = await sql<LedgerPayoutRow>`
    SELECT ${LEDGER_PAYOUT_COLUMNS} FROM payouts
    WHERE status = 'paid'
      AND currency IN (SELECT jsonb_array_elements_text(${JSON.stringify(scope.currencies)}::jsonb))
      AND paid_at >= (${scope.paid_from}::date)::timestamp AT TIME ZONE 'UTC'
      AND paid_at < (${scope.paid_to}::date + 1)::timestamp AT TIME ZONE 'UTC'
    ORDER BY id`.execute(trx);
  return rows;
}

/** The entries these payouts settled, their own payout entries excluded, with the event each came from. */
export async function findSettledItems(trx: LedgerTransaction, payoutIds: readonly string[]): Promise<SettledItemRow[]> {
  if (payoutIds.length === 0) return [];
  const { rows } = await sql<SettledItemRow>`
    SELECT p.id::text AS payout_id, s.entry_type, s.amount_minor, pe.event_id, pe.metadata ->> 'payment_id' AS payment_id
    FROM payouts p
    CROSS JOIN LATERAL (${entriesSettledBy('p', sql`le.id, le.entry_type, le.amount_minor, le.processor_event_id`)}) AS s
    LEFT JOIN processor_events pe ON pe.id = s.processor_event_id
    WHERE p.id IN ${idsIn(payoutIds)}
    ORDER BY p.id, s.id`.execute(trx);
  return rows;
}
