import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';
import type { DisputeStatus } from './dispute.schema.ts';

/** The charge a dispute names, as stored. */
export interface ChargeRow {
  id: Int8Value;
  event_id: string;
  payment_id: string | null;
  amount_minor: Int8Value;
}

/** Where a charge is looked for: the dispute's restaurant and currency, and what its metadata names. */
export interface ChargeReference {
  restaurant_id: string;
  currency: string;
  charge_event_id: string | null;
  payment_id: string | null;
}

/**
 * The charge a dispute names, locked (FOR NO KEY UPDATE) until the transaction ends, so that the
 * disputes of one charge are decided one after another: two dispute_opened for one charge cannot
 * both see room the other takes. A charge_succeeded of the same restaurant and currency, by
 * charge_event_id first, else the earliest with that metadata.payment_id. Undefined: unknown.
 */
export async function findChargeForUpdate(trx: LedgerTransaction, ref: ChargeReference): Promise<ChargeRow | undefined> {
  const { rows } = await sql<ChargeRow>`
    SELECT id, event_id, metadata ->> 'payment_id' AS payment_id, amount_minor
    FROM processor_events
    WHERE event_type = 'charge_succeeded' AND restaurant_id = ${ref.restaurant_id} AND currency = ${ref.currency}
      AND (event_id = ${ref.charge_event_id}::text OR metadata ->> 'payment_id' = ${ref.payment_id}::text)
    ORDER BY (event_id = ${ref.charge_event_id}::text) IS TRUE DESC, id
    LIMIT 1
    FOR NO KEY UPDATE`.execute(trx);
  return rows[0];
}

/**
 * What is already claimed against a charge: its refunds (refund_succeeded of the same restaurant and
 * currency whose metadata names the charge by charge_event_id, or by the charge's payment_id) and
 * its disputes still open or lost (won ones gave the amount back).
 */
export async function sumChargeClaims(trx: LedgerTransaction, charge: ChargeRow & { restaurant_id: string; currency: string }): Promise<{ refunded: Int8Value; disputed: Int8Value }> {
  const { rows } = await sql<{ refunded: Int8Value; disputed: Int8Value }>`
    SELECT
      (SELECT COALESCE(SUM(amount_minor), 0) FROM processor_events
        WHERE event_type = 'refund_succeeded' AND restaurant_id = ${charge.restaurant_id} AND currency = ${charge.currency}
          AND (metadata ->> 'charge_event_id' = ${charge.event_id} OR metadata ->> 'payment_id' = ${charge.payment_id}::text)) AS refunded,
      (SELECT COALESCE(SUM(amount_minor), 0) FROM disputes
        WHERE charge_pk = ${charge.id} AND status IN ('open', 'lost')) AS disputed`.execute(trx);
  const row = rows[0];
  if (row === undefined) throw new Error('sumChargeClaims: no row');
  return row;
}

export interface NewDisputeRow {
  dispute_id: string;
  restaurant_id: string;
  currency: string;
  amount_minor: number;
  fee_minor: number;
  charge_event_id: string | null;
  payment_id: string | null;
  charge_pk: Int8Value | null;
  opened_event_pk: Int8Value;
  opened_at: string;
}

/** Inserts the dispute unless its dispute_id is known (the UNIQUE constraint decides); true when inserted. */
export async function insertDisputeIfNew(trx: LedgerTransaction, row: NewDisputeRow): Promise<boolean> {
  const inserted = await trx
    .insertInto('disputes')
    .values({ ...row, status: 'open', charge_found: row.charge_pk !== null })
    .onConflict((oc) => oc.column('dispute_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export interface OpenDisputeRow {
  id: Int8Value;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8Value;
  status: string;
  charge_found: boolean;
  opened_at: Date;
}

/** The dispute, locked until the transaction ends: its won and lost events serialize here. */
export async function findDisputeForUpdate(trx: LedgerTransaction, disputeId: string): Promise<OpenDisputeRow | undefined> {
  return trx
    .selectFrom('disputes')
    .select(['id', 'restaurant_id', 'currency', 'amount_minor', 'status', 'charge_found', 'opened_at'])
    .where('dispute_id', '=', disputeId)
    .forUpdate()
    .executeTakeFirst() as Promise<OpenDisputeRow | undefined>;
}

export async function closeDispute(
  trx: LedgerTransaction,
  id: Int8Value,
  close: { status: Exclude<DisputeStatus, 'open'>; closed_event_pk: Int8Value; closed_at: string },
): Promise<void> {
  await trx
    .updateTable('disputes')
    .set({ status: close.status, closed_event_pk: close.closed_event_pk, closed_at: close.closed_at, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirstOrThrow();
}

/** A dispute with its charge and its events, as the API shows it. */
export interface DisputeViewRow {
  id: Int8Value;
  dispute_id: string;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8Value;
  fee_minor: Int8Value;
  status: string;
  charge_found: boolean;
  charge_event_id: string | null;
  payment_id: string | null;
  opened_at: Date;
  closed_at: Date | null;
  created_at: Date;
  opened_event_id: string;
  opened_event_type: string;
  opened_occurred_at: Date;
  closed_event_id: string | null;
  closed_event_type: string | null;
  closed_occurred_at: Date | null;
}

/** The disputes matching `where`, with their charge and their opening and closing events. */
function disputeViews(db: LedgerDb) {
  return db
    .selectFrom('disputes as d')
    .innerJoin('processor_events as o', 'o.id', 'd.opened_event_pk')
    .leftJoin('processor_events as c', 'c.id', 'd.closed_event_pk')
    .leftJoin('processor_events as ch', 'ch.id', 'd.charge_pk')
    .select([
      'd.id',
      'd.dispute_id',
      'd.restaurant_id',
      'd.currency',
      'd.amount_minor',
      'd.fee_minor',
      'd.status',
      'd.charge_found',
      sql<string | null>`COALESCE(ch.event_id, d.charge_event_id)`.as('charge_event_id'),
      sql<string | null>`COALESCE(ch.metadata ->> 'payment_id', d.payment_id)`.as('payment_id'),
      'd.opened_at',
      'd.closed_at',
      'd.created_at',
      'o.event_id as opened_event_id',
      'o.event_type as opened_event_type',
      'o.occurred_at as opened_occurred_at',
      'c.event_id as closed_event_id',
      'c.event_type as closed_event_type',
      'c.occurred_at as closed_occurred_at',
    ]);
}

export function findDispute(db: LedgerDb, disputeId: string): Promise<DisputeViewRow | undefined> {
  return disputeViews(db).where('d.dispute_id', '=', disputeId).executeTakeFirst() as Promise<DisputeViewRow | undefined>;
}

/** Keyset page in id order: ids after `afterId`, at most `limit` (+1 to tell whether more follow). */
export function findDisputePage(
  db: LedgerDb,
  filter: { restaurant_id?: string; currency?: string; status?: string; afterId?: string },
  limit: number,
): Promise<DisputeViewRow[]> {
  let query = disputeViews(db).where('d.id', '>', filter.afterId ?? '0');
  if (filter.restaurant_id !== undefined) query = query.where('d.restaurant_id', '=', filter.restaurant_id);
  if (filter.currency !== undefined) query = query.where('d.currency', '=', filter.currency);
  if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
  return query.orderBy('d.id').limit(limit + 1).execute() as Promise<DisputeViewRow[]>;
}
