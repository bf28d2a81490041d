import { type RawBuilder, sql } from 'kysely';
import type { LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';

/** The source tables outbound events are derived from, each with its own watermark. */
export const PROJECTOR_SOURCES = ['processor_events', 'payouts', 'reconciliations'] as const;
export type ProjectorSource = (typeof PROJECTOR_SOURCES)[number];

export interface ProjectorState {
  watermark: Int8Value;
  candidate: Int8Value | null;
  candidate_at: Date | null;
}

/** The source's state, locked for this pass; undefined when another projector holds it (it is doing this source now). */
export async function lockProjectorState(trx: LedgerTransaction, source: ProjectorSource): Promise<ProjectorState | undefined> {
  const { rows } = await sql<ProjectorState>`
    SELECT watermark, candidate, candidate_at FROM outbound_projector_state
    WHERE source = ${source} FOR UPDATE SKIP LOCKED`.execute(trx);
  return rows[0];
}

export { noTransactionOlderThan } from '../db/in-flight.ts';

/** The source id sequence's last value, then the database clock: the next candidate watermark. */
export async function readCandidate(trx: LedgerTransaction, source: ProjectorSource): Promise<{ candidate: Int8Value; at: Date }> {
  const last = await sql<{ last: Int8Value | null }>`
    SELECT pg_sequence_last_value(pg_get_serial_sequence(${source}, 'id')::regclass) AS last`.execute(trx);
  // Read after the sequence: a transaction that began after this moment draws ids above `candidate`.
  const clock = await sql<{ at: Date }>`SELECT clock_timestamp() AS at`.execute(trx);
  return { candidate: last.rows[0]?.last ?? 0, at: (clock.rows[0] as { at: Date }).at };
}

export async function saveProjectorState(
  trx: LedgerTransaction,
  source: ProjectorSource,
  state: { watermark: Int8Value; candidate: Int8Value | null; candidateAt: Date | null },
): Promise<void> {
  await sql`
    UPDATE outbound_projector_state
    SET watermark = ${String(state.watermark)}, candidate = ${state.candidate === null ? null : String(state.candidate)}, candidate_at = ${state.candidateAt}
    WHERE source = ${source}`.execute(trx);
}

/** ISO-8601 in UTC with milliseconds, as every API answer writes times. */
const iso = (value: RawBuilder<unknown>) => sql`to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Per source, the rows after the watermark (`src`, at most `limit`, by id) and the facts they give
 * (`facts`: event_type, source_key, occurred_at, payload, src_id).
 */
function sourceFacts(source: ProjectorSource, after: Int8Value, limit: number): { src: RawBuilder<unknown>; facts: RawBuilder<unknown> } {
  const afterId = String(after);
  if (source === 'payouts') {
    return {
      src: sql`SELECT id, restaurant_id, currency, amount_minor, as_of, created_at, run_id FROM payouts WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`,
      facts: sql`
        SELECT 'payout.created' AS event_type, 'payout.created:' || src.id AS source_key, src.created_at AS occurred_at, src.id AS src_id,
          jsonb_build_object('payout_id', src.id::text, 'restaurant_id', src.restaurant_id, 'currency', src.currency,
            'amount', src.amount_minor, 'status', 'created', 'as_of', to_char(src.as_of, 'YYYY-MM-DD'),
            'run_id', src.run_id::text, 'created_at', ${iso(sql`src.created_at`)}) AS payload
        FROM src`,
    };
  }
  if (source === 'reconciliations') {
    return {
      src: sql`SELECT id, file_sha256, currencies, paid_from, paid_to, matched_count, amount_mismatch_count,
                 in_ledger_not_in_report_count, in_report_not_in_ledger_count, created_at
               FROM reconciliations WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`,
      facts: sql`
        SELECT 'reconciliation.completed' AS event_type, 'reconciliation.completed:' || src.id AS source_key, src.created_at AS occurred_at,
          src.id AS src_id,
          jsonb_build_object('reconciliation_id', src.id::text, 'file_sha256', src.file_sha256, 'currencies', to_jsonb(src.currencies),
            'paid_from', to_char(src.paid_from, 'YYYY-MM-DD'), 'paid_to', to_char(src.paid_to, 'YYYY-MM-DD'),
            'matched', src.matched_count, 'amount_mismatch', src.amount_mismatch_count,
            'in_ledger_not_in_report', src.in_ledger_not_in_report_count, 'in_report_not_in_ledger', src.in_report_not_in_ledger_count,
            'created_at', ${iso(sql`src.created_at`)}) AS payload
        FROM src`,
    };
  }
  return {
    // Only the types that give a fact; refunds and dispute openings are read again for balance.below_zero.
    src: sql`SELECT id, event_id, event_type, occurred_at, metadata FROM processor_events
             WHERE id > ${afterId} AND event_type IN ('dispute_opened', 'dispute_won', 'dispute_lost', 'payout_paid', 'payout_failed', 'refund_succeeded')
             ORDER BY id LIMIT ${limit}`,
    facts: sql`
      SELECT 'dispute.opened' AS event_type, 'dispute.opened:' || d.dispute_id AS source_key, src.occurred_at, src.id AS src_id,
        jsonb_build_object('dispute_id', d.dispute_id, 'restaurant_id', d.restaurant_id, 'currency', d.currency,
          'amount', d.amount_minor, 'fee', d.fee_minor, 'charge_found', d.charge_found,
          'opened_at', ${iso(sql`src.occurred_at`)}, 'processor_event_id', src.event_id) AS payload
      FROM src JOIN disputes d ON d.opened_event_pk = src.id
      UNION ALL
      SELECT 'dispute.closed', 'dispute.closed:' || d.dispute_id, src.occurred_at, src.id,
        jsonb_build_object('dispute_id', d.dispute_id, 'restaurant_id', d.restaurant_id, 'currency', d.currency,
          'amount', d.amount_minor, 'outcome', d.status, 'closed_at', ${iso(sql`src.occurred_at`)}, 'processor_event_id', src.event_id)
      FROM src JOIN disputes d ON d.closed_event_pk = src.id
      UNION ALL
      -- A payout is paid or failed once (both are final): the key is the payout's, whichever event did it.
      SELECT 'payout.' || p.status, 'payout.' || p.status || ':' || p.id, src.occurred_at, src.id,
        jsonb_build_object('payout_id', p.id::text, 'restaurant_id', p.restaurant_id, 'currency', p.currency,
          'amount', p.amount_minor, 'status', p.status, 'as_of', to_char(p.as_of, 'YYYY-MM-DD'),
          'paid_at', ${iso(sql`p.paid_at`)}, 'occurred_at', ${iso(sql`src.occurred_at`)}, 'processor_event_id', src.event_id)
      FROM src JOIN payouts p
        ON src.event_type IN ('payout_paid', 'payout_failed')
       AND src.metadata->>'payout_id' ~ '^[1-9][0-9]{0,17}$'
       AND p.id = (src.metadata->>'payout_id')::bigint
       AND p.status = CASE src.event_type WHEN 'payout_paid' THEN 'paid' ELSE 'failed' END`,
  };
}

/** Inserts facts as outbound events (each once, by source_key) and a delivery per matching active subscription. */
function insertEventsAndDeliveries(facts: RawBuilder<unknown>, attemptLimit: number): RawBuilder<unknown> {
  return sql`
    inserted AS (
      INSERT INTO outbound_events (event_type, source_key, occurred_at, payload)
      SELECT event_type, source_key, occurred_at, payload FROM (${facts}) AS facts ORDER BY src_id, event_type
      ON CONFLICT (source_key) DO NOTHING
      RETURNING id, event_type
    ), fanned AS (
      INSERT INTO outbound_deliveries (event_id, subscription_id, webhook_id, attempt_limit)
      SELECT e.id, s.id, 'msg_' || e.id || '_' || s.id, ${attemptLimit}
      FROM inserted e JOIN outbound_subscriptions s
        ON s.status = 'active' AND (cardinality(s.event_types) = 0 OR e.event_type = ANY (s.event_types))
      ON CONFLICT (event_id, subscription_id) DO NOTHING
      RETURNING id
    )`;
}

export interface ProjectedBatch {
  scanned: number;
  last_id: Int8Value | null;
  events: number;
  deliveries: number;
}

/** One statement: reads a source's rows after `after`, writes their events and deliveries. Idempotent. */
export async function projectSource(
  trx: LedgerTransaction,
  source: ProjectorSource,
  after: Int8Value,
  limit: number,
  attemptLimit: number,
): Promise<ProjectedBatch> {
  const { src, facts } = sourceFacts(source, after, limit);
  const { rows } = await sql<{ scanned: Int8Value; last_id: Int8Value | null; events: Int8Value; deliveries: Int8Value }>`
    WITH src AS MATERIALIZED (${src}), ${insertEventsAndDeliveries(facts, attemptLimit)}
    SELECT (SELECT count(*) FROM src) AS scanned, (SELECT max(id) FROM src) AS last_id,
      (SELECT count(*) FROM inserted) AS events, (SELECT count(*) FROM fanned) AS deliveries`.execute(trx);
  const row = rows[0] as { scanned: Int8Value; last_id: Int8Value | null; events: Int8Value; deliveries: Int8Value };
  return { scanned: Number(row.scanned), last_id: row.last_id, events: Number(row.events), deliveries: Number(row.deliveries) };
}

/** Refunds and dispute openings in (after, through] whose entries took money from the available balance when they occurred. */
export async function balanceLoweringEvents(trx: LedgerTransaction, after: Int8Value, through: Int8Value) {
  const { rows } = await sql<{
    id: Int8Value;
    event_id: string;
    event_type: string;
    restaurant_id: string;
    currency: string;
    occurred_at: Date;
    delta: Int8Value;
  }>`
    SELECT pe.id, pe.event_id, pe.event_type, pe.restaurant_id, pe.currency, pe.occurred_at, lowered.delta
    FROM processor_events pe
    CROSS JOIN LATERAL (
      SELECT SUM(le.amount_minor) AS delta FROM ledger_entries le
      WHERE le.processor_event_id = pe.id AND le.available_at <= pe.occurred_at
    ) AS lowered
    WHERE pe.id > ${String(after)} AND pe.id <= ${String(through)}
      AND pe.event_type IN ('refund_succeeded', 'dispute_opened') AND lowered.delta < 0
    ORDER BY pe.id`.execute(trx);
  return rows;
}

/** Writes one balance.below_zero event (once per processor event) and its deliveries. */
export async function insertBelowZeroEvent(
  trx: LedgerTransaction,
  fact: { eventPk: Int8Value; occurredAt: Date; payload: Record<string, unknown> },
  attemptLimit: number,
): Promise<void> {
  const facts = sql`
    SELECT 'balance.below_zero' AS event_type, ${`balance.below_zero:${String(fact.eventPk)}`} AS source_key,
      ${fact.occurredAt}::timestamptz AS occurred_at, ${JSON.stringify(fact.payload)}::jsonb AS payload, 0 AS src_id`;
  await sql`WITH ${insertEventsAndDeliveries(facts, attemptLimit)} SELECT 1`.execute(trx);
}
