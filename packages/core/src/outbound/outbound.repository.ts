import { sql } from 'kysely';
import type { JsonObject, LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';
import { OUTBOUND_ATTEMPTS_SHOWN_MAX } from '../limits.ts';
import type { AttemptOutcome } from './outbound.schema.ts';

// ---- subscriptions -------------------------------------------------------------------------------

/** Every column but the secret: what the API may show. */
const SUBSCRIPTION_COLUMNS = ['id', 'url', 'event_types', 'description', 'status', 'created_at', 'updated_at'] as const;

export interface SubscriptionRow {
  id: Int8Value;
  url: string;
  event_types: string[];
  description: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
}

export async function insertSubscription(
  db: LedgerDb,
  values: { url: string; secret: string; eventTypes: readonly string[]; description: string | null },
): Promise<SubscriptionRow> {
  return db
    .insertInto('outbound_subscriptions')
    .values({ url: values.url, secret: values.secret, event_types: [...values.eventTypes], description: values.description })
    .returning(SUBSCRIPTION_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function findSubscription(db: LedgerDb, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('outbound_subscriptions').select(SUBSCRIPTION_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function findSubscriptionPage(db: LedgerDb, afterId: string | undefined, limit: number): Promise<SubscriptionRow[]> {
  let query = db.selectFrom('outbound_subscriptions').select(SUBSCRIPTION_COLUMNS);
  if (afterId !== undefined) query = query.where('id', '>', afterId);
  return query.orderBy('id').limit(limit + 1).execute();
}

/** Disables a subscription and cancels its pending deliveries, in the caller's transaction. */
export async function disableSubscriptionRow(trx: LedgerTransaction, id: string): Promise<SubscriptionRow | undefined> {
  const row = await trx
    .updateTable('outbound_subscriptions')
    .set({ status: 'disabled', updated_at: sql`now()` })
    .where('id', '=', id)
    .returning(SUBSCRIPTION_COLUMNS)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  await trx
    .updateTable('outbound_deliveries')
    .set({ status: 'cancelled', next_attempt_at: sql`now()`, updated_at: sql`now()` })
    .where('subscription_id', '=', id)
    .where('status', '=', 'pending')
    .execute();
  return row;
}

export async function setSubscriptionSecret(db: LedgerDb, id: string, secret: string): Promise<SubscriptionRow | undefined> {
  return db
    .updateTable('outbound_subscriptions')
    .set({ secret, updated_at: sql`now()` })
    .where('id', '=', id)
    .returning(SUBSCRIPTION_COLUMNS)
    .executeTakeFirst();
}

// ---- deliveries ----------------------------------------------------------------------------------

/** A delivery claimed for one attempt, with what it sends and where. */
export interface ClaimedDelivery {
  id: Int8Value;
  webhook_id: string;
  attempts: number;
  event_id: Int8Value;
  event_type: string;
  payload: JsonObject;
  event_created_at: Date;
  url: string;
  secret: string;
}

/**
 * Claims up to `limit` due deliveries for one attempt each: counts the attempt and leases the row to
 * `owner` for `leaseMs` (FOR UPDATE SKIP LOCKED: concurrent deliverers never claim the same row). A
 * deliverer killed mid-attempt loses its lease when it expires; the delivery is then claimed again.
 */
export async function claimDueDeliveries(db: LedgerDb, owner: string, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
  const { rows } = await sql<ClaimedDelivery>`
    WITH due AS (
      SELECT id FROM outbound_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_expires_at IS NULL OR lease_expires_at < now())
      ORDER BY next_attempt_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE outbound_deliveries d
    SET attempts = d.attempts + 1, lease_owner = ${owner}, lease_expires_at = now() + ${leaseMs} * interval '1 millisecond', updated_at = now()
    FROM due, outbound_events e, outbound_subscriptions s
    WHERE d.id = due.id AND e.id = d.event_id AND s.id = d.subscription_id
    RETURNING d.id, d.webhook_id, d.attempts, e.id AS event_id, e.event_type, e.payload, e.created_at AS event_created_at, s.url, s.secret`.execute(db);
  return rows;
}

export interface AttemptRecord {
  deliveryId: Int8Value;
  attempt: number;
  owner: string;
  startedAt: Date;
  durationMs: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  /** Wait before the next attempt when this one failed and attempts remain. */
  retryDelayMs: number;
}

/**
 * One statement: logs the attempt and moves the delivery on (delivered; failed when it was the last
 * allowed; else pending again after `retryDelayMs`; an interrupted attempt is due again at once and
 * does not use up the limit). The move applies only while `owner` still holds this attempt's lease.
 */
export async function recordAttempt(db: LedgerDb, record: AttemptRecord): Promise<void> {
  const delivered = record.outcome === 'delivered';
  const interrupted = record.outcome === 'interrupted';
  await sql`
    WITH moved AS (
      UPDATE outbound_deliveries
      SET status = CASE WHEN ${delivered} THEN 'delivered'
                        WHEN NOT ${interrupted} AND attempts >= attempt_limit THEN 'failed'
                        ELSE 'pending' END,
          attempt_limit = CASE WHEN ${interrupted} THEN GREATEST(attempt_limit, attempts + 1) ELSE attempt_limit END,
          next_attempt_at = now() + ${interrupted ? 0 : record.retryDelayMs} * interval '1 millisecond',
          lease_owner = NULL, lease_expires_at = NULL,
          last_status_code = ${record.statusCode}, last_error = ${record.error},
          delivered_at = CASE WHEN ${delivered} THEN now() ELSE delivered_at END,
          updated_at = now()
      WHERE id = ${String(record.deliveryId)} AND lease_owner = ${record.owner} AND attempts = ${record.attempt} AND status = 'pending'
      RETURNING id
    )
    INSERT INTO outbound_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, outcome, error, response_excerpt)
    VALUES (${String(record.deliveryId)}, ${record.attempt}, ${record.startedAt}, ${record.durationMs}, ${record.statusCode},
      ${record.outcome}, ${record.error}, ${record.responseExcerpt})
    ON CONFLICT (delivery_id, attempt) DO NOTHING`.execute(db);
}

export interface DeliveryRow {
  id: Int8Value;
  subscription_id: Int8Value;
  webhook_id: string;
  status: string;
  attempts: number;
  attempt_limit: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  created_at: Date;
  event_id: Int8Value;
  event_type: string;
  occurred_at: Date;
  payload: JsonObject;
}

const deliveryRows = (db: LedgerDb) =>
  db
    .selectFrom('outbound_deliveries as d')
    .innerJoin('outbound_events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.subscription_id',
      'd.webhook_id',
      'd.status',
      'd.attempts',
      'd.attempt_limit',
      'd.next_attempt_at',
      'd.delivered_at',
      'd.created_at',
      'e.id as event_id',
      'e.event_type',
      'e.occurred_at',
      'e.payload',
    ]);

export async function findDeliveryPage(
  db: LedgerDb,
  filter: { subscriptionId: string; status: string | undefined; afterId: string | undefined },
  limit: number,
): Promise<DeliveryRow[]> {
  let query = deliveryRows(db).where('d.subscription_id', '=', filter.subscriptionId);
  if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
  if (filter.afterId !== undefined) query = query.where('d.id', '>', filter.afterId);
  return query.orderBy('d.id').limit(limit + 1).execute();
}

export async function findDelivery(db: LedgerDb, subscriptionId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
  return deliveryRows(db).where('d.subscription_id', '=', subscriptionId).where('d.id', '=', deliveryId).executeTakeFirst();
}

export interface AttemptRow {
  delivery_id: Int8Value;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  outcome: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

/** The most recent OUTBOUND_ATTEMPTS_SHOWN_MAX attempts of each delivery, oldest first. */
export async function findAttempts(db: LedgerDb, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  const { rows } = await sql<AttemptRow>`
    SELECT delivery_id, attempt, started_at, duration_ms, outcome, status_code, error, response_excerpt
    FROM (
      SELECT a.*, ROW_NUMBER() OVER (PARTITION BY delivery_id ORDER BY attempt DESC) AS recent
      FROM outbound_delivery_attempts a WHERE delivery_id = ANY (${deliveryIds.map(String)}::bigint[])
    ) AS ranked
    WHERE recent <= ${OUTBOUND_ATTEMPTS_SHOWN_MAX}
    ORDER BY delivery_id, attempt`.execute(db);
  return rows;
}

/**
 * A replay: the delivery is due again now, with `extraAttempts` more allowed, whatever its status
 * (a delivered one is sent again: the receiver recognises the same webhook-id). A lease in hand is
 * kept: the attempt in flight finishes first.
 */
export async function replayDeliveryRow(db: LedgerDb, subscriptionId: string, deliveryId: string, extraAttempts: number): Promise<boolean> {
  const result = await sql`
    UPDATE outbound_deliveries
    SET status = 'pending', next_attempt_at = now(), attempt_limit = attempts + ${extraAttempts}, updated_at = now()
    WHERE id = ${deliveryId} AND subscription_id = ${subscriptionId}`.execute(db);
  return (result.numAffectedRows ?? 0n) > 0n;
}
