import { sql } from 'kysely';
import type { LedgerDb } from '../db/database.ts';
import { AMOUNT_MINOR_MAX, INTEGRITY_SEAL_BLOCKS } from '../limits.ts';
import { GENESIS_HASH, SEAL_LINE, sealTrailer } from '../ledger/ledger-seal.repository.ts';
import type { Int8Value } from '../db/int8.ts';
import { entriesSettledBy, payoutDecisions } from '../payouts/payout-eligibility.repository.ts';
import { EVENT_REGISTRY, type EventRegistry } from '../events/registry.ts';

/** Figures beyond this JSON cannot carry exactly: such rows are left out, and Q4 names them. */
const FIGURE_MAX = sql.lit(AMOUNT_MINOR_MAX);

/**
 * Q1: each restaurant's available balance in one currency at `asOf`, with the latest occurred_at
 * counted. One grouped scan; keyset-paged by restaurant id.
 */
export function availableBalances(db: LedgerDb, currency: string, asOf: Date, afterRestaurantId: string | undefined, limit: number) {
  return db
    .selectFrom('ledger_entries')
    .select([
      'restaurant_id',
      sql<Int8Value>`COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= ${asOf}), 0)`.as('available'),
      sql<Date | null>`MAX(occurred_at)`.as('last_event_at'),
    ])
    .where('currency', '=', currency)
    .where('occurred_at', '<=', asOf)
    .where('restaurant_id', '>', afterRestaurantId ?? '')
    .groupBy('restaurant_id')
    .having(sql<boolean>`ABS(COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= ${asOf}), 0)) <= ${FIGURE_MAX}`)
    .orderBy('restaurant_id')
    .limit(limit + 1)
    .execute();
}

/**
 * Q2: top restaurants by net revenue (sales - fees - refunds) among events that occurred in
 * (from, to], with charge and refund counts, ranked by a window function (ties share a rank).
 */
export function topRestaurantsByRevenue(db: LedgerDb, currency: string, from: Date, to: Date, top: number) {
  return db
    .with('activity', (qb) =>
      qb
        .selectFrom('ledger_entries as le')
        .innerJoin('processor_events as pe', 'pe.id', 'le.processor_event_id')
        .select([
          'le.restaurant_id',
          sql<Int8Value>`SUM(le.amount_minor)`.as('net_revenue'),
          sql<number>`COUNT(DISTINCT pe.id) FILTER (WHERE pe.event_type = 'charge_succeeded')::int`.as('charges'),
          sql<number>`COUNT(DISTINCT pe.id) FILTER (WHERE pe.event_type = 'refund_succeeded')::int`.as('refunds'),
        ])
        .where('le.currency', '=', currency)
        .where('le.entry_type', 'in', ['sale', 'fee', 'refund'])
        .where('le.occurred_at', '>', from)
        .where('le.occurred_at', '<=', to)
        .groupBy('le.restaurant_id')
        .having(sql<boolean>`ABS(SUM(le.amount_minor)) <= ${FIGURE_MAX}`),
    )
    .with('ranked', (qb) =>
      qb.selectFrom('activity').selectAll().select(sql<number>`RANK() OVER (ORDER BY net_revenue DESC)::int`.as('rank')),
    )
    .selectFrom('ranked')
    .select(['rank', 'restaurant_id', 'net_revenue', 'charges', 'refunds'])
    .where('rank', '<=', top)
    .orderBy('rank')
    .orderBy('restaurant_id')
    .execute();
}

/**
 * Q3: who a payout run for (currency, as_of, min_amount) would pay, and how much: the restaurants
 * the payout eligibility rule (payouts/payout-eligibility.repository.ts, the one the runs decide
 * with) gives no reason to skip.
 */
export async function payoutEligibility(db: LedgerDb, currency: string, asOf: string, cutoff: Date, minAmount: number) {
  const terms = { currency, as_of: asOf, cutoff, min_amount: minAmount };
  const { rows } = await sql<{ restaurant_id: string; amount: Int8Value }>`
    SELECT restaurant_id, amount FROM (${payoutDecisions('every_restaurant', terms)}) AS decisions
    WHERE skip_reason IS NULL
    ORDER BY restaurant_id`.execute(db);
  return rows;
}

/**
 * Q5: restaurants whose available balance in `currency` at `asOf` is below zero, with the deficit
 * (what they owe, positive) and `since`: the moment the available balance last went from zero or
 * more to below zero. The available balance moves when an entry becomes available (available_at,
 * never before its occurred_at), so it is a running sum of entries grouped by available_at (window
 * functions), and `since` is the latest step whose sum is negative after one that was not.
 * Keyset-paged by restaurant id.
 */
export async function restaurantsInDeficit(db: LedgerDb, currency: string, asOf: Date, afterRestaurantId: string | undefined, limit: number) {
  const { rows } = await sql<{ restaurant_id: string; deficit: Int8Value; since: Date }>`
    WITH steps AS (
      SELECT restaurant_id, available_at AS at, SUM(amount_minor) AS delta
      FROM ledger_entries
      WHERE currency = ${currency} AND occurred_at <= ${asOf} AND available_at <= ${asOf} AND restaurant_id > ${afterRestaurantId ?? ''}
      GROUP BY restaurant_id, available_at
    ), running AS (
      SELECT restaurant_id, at, SUM(delta) OVER (PARTITION BY restaurant_id ORDER BY at) AS balance
      FROM steps
    ), flagged AS (
      SELECT restaurant_id, at, balance,
        ROW_NUMBER() OVER (PARTITION BY restaurant_id ORDER BY at DESC) AS latest,
        balance < 0 AND LAG(balance, 1, 0) OVER (PARTITION BY restaurant_id ORDER BY at) >= 0 AS went_below
      FROM running
    ), deficits AS (
      SELECT restaurant_id, -balance AS deficit,
        MAX(at) FILTER (WHERE went_below) OVER (PARTITION BY restaurant_id) AS since, latest
      FROM flagged
    )
    SELECT restaurant_id, deficit, since
    FROM deficits
    WHERE latest = 1 AND deficit > 0 AND deficit <= ${FIGURE_MAX}
    ORDER BY restaurant_id
    LIMIT ${limit + 1}`.execute(db);
  return rows;
}

export interface IntegrityRow {
  reason: string;
  event_id: string | null;
  entry_id: Int8Value | null;
  payout_id: Int8Value | null;
  detail: string;
}

/**
 * Q4: every integrity check, each returning its offending rows with a reason code; no rows on a
 * healthy ledger. The constraints and triggers should make each of these impossible; this is the
 * second line of defence that proves it (and catches damage done around them).
 */
export async function integrityViolations(db: LedgerDb, registry: EventRegistry = EVENT_REGISTRY): Promise<IntegrityRow[]> {
  const { eventRules, entryRules } = integrityRulesOf(registry);
  const { rows } = await sql<IntegrityRow>`
    WITH event_rules AS (
      SELECT * FROM jsonb_to_recordset(${eventRules}::jsonb) AS r(
        event_type text, amount_factor int, fee_factor int, contradicted_by text, net_first text, net_then text)
    ), entry_rules AS (
      SELECT * FROM jsonb_to_recordset(${entryRules}::jsonb) AS r(entry_type text, sign int)
    ), event_sums AS (
      SELECT pe.id, pe.event_id, pe.event_type,
        pe.amount_minor * r.amount_factor + pe.fee_minor * r.fee_factor AS expected,
        (SELECT SUM(le.amount_minor) FROM ledger_entries le WHERE le.processor_event_id = pe.id) AS actual
      FROM processor_events pe
      JOIN event_rules r ON r.event_type = pe.event_type AND r.amount_factor IS NOT NULL
    ),
    -- Entry types that must net to zero within one event (a reserve's hold and release): both or
    -- neither, once each, summing to zero, the second available no earlier than the first.
    event_netting AS (
      SELECT pe.event_id, r.net_first, r.net_then, n.*
      FROM processor_events pe
      JOIN event_rules r ON r.event_type = pe.event_type AND r.net_first IS NOT NULL
      CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(le.amount_minor), 0) AS net,
               COUNT(*) FILTER (WHERE le.entry_type = r.net_first) AS firsts,
               COUNT(*) FILTER (WHERE le.entry_type = r.net_then) AS thens,
               COALESCE(MIN(le.available_at) FILTER (WHERE le.entry_type = r.net_then)
                          < MAX(le.available_at) FILTER (WHERE le.entry_type = r.net_first), false) AS then_too_early
        FROM ledger_entries le
        WHERE le.processor_event_id = pe.id AND le.entry_type IN (r.net_first, r.net_then)
      ) n
    ),
    -- Per payout: its items (the entries between its frontier and the prior one), and with them its own payout entry.
    payout_items AS (
      SELECT p.id, p.amount_minor, items.items_sum, items.items_sum + own.amount_minor AS settled_sum
      FROM payouts p
      CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(s.amount_minor), 0) AS items_sum FROM (${entriesSettledBy('p', sql`le.amount_minor`)}) AS s
      ) items
      CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(le.amount_minor), 0) AS amount_minor FROM ledger_entries le
        WHERE le.restaurant_id = p.restaurant_id AND le.currency = p.currency AND le.entry_type = 'payout' AND le.payout_id = p.id
      ) own
    ), ${DISPUTE_PROJECTION_CTES}, ${CHECKPOINT_CTES}, ${SEAL_CTES}, ${OUTBOUND_CTES}
    SELECT 'EVENT_WITHOUT_ENTRIES' AS reason, event_id, NULL::bigint AS entry_id, NULL::bigint AS payout_id,
      event_type || ' has no ledger entries' AS detail
    FROM event_sums WHERE actual IS NULL
    UNION ALL
    SELECT 'EVENT_ENTRIES_MISMATCH', event_id, NULL, NULL, 'entries sum to ' || actual || ', expected ' || expected
    FROM event_sums WHERE actual IS NOT NULL AND actual <> expected
    UNION ALL
    SELECT 'ENTRIES_NOT_NETTED', event_id, NULL, NULL,
      net_first || ' ×' || firsts || ' and ' || net_then || ' ×' || thens || ' sum to ' || net ||
      CASE WHEN then_too_early THEN ', ' || net_then || ' available before ' || net_first ELSE '' END
    FROM event_netting WHERE net <> 0 OR firsts <> thens OR firsts > 1 OR then_too_early
    UNION ALL
    SELECT 'ENTRY_WITHOUT_SOURCE', NULL, le.id, le.payout_id, 'names a missing event or payout'
    FROM ledger_entries le
    WHERE (le.processor_event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM processor_events pe WHERE pe.id = le.processor_event_id))
       OR (le.payout_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.id = le.payout_id))
       OR (le.processor_event_id IS NULL AND le.payout_id IS NULL)
    UNION ALL
    SELECT 'ENTRY_WRONG_SIGN', NULL, le.id, le.payout_id, le.entry_type || ' of ' || le.amount_minor
    FROM ledger_entries le
    LEFT JOIN entry_rules er ON er.entry_type = le.entry_type
    WHERE er.sign IS NULL OR sign(le.amount_minor) <> er.sign
    UNION ALL
    SELECT 'PAYOUT_ITEMS_MISMATCH', NULL, NULL, id, 'items sum to ' || items_sum || ', amount is ' || amount_minor
    FROM payout_items WHERE items_sum <> amount_minor
    UNION ALL
    SELECT 'PAYOUT_NOT_ZERO_SUM', NULL, NULL, id, 'settled entries with the payout entry sum to ' || settled_sum
    FROM payout_items WHERE settled_sum <> 0
    UNION ALL
    SELECT 'PAYOUT_FRONTIER_BROKEN', NULL, NULL, p.id,
      p.restaurant_id || ' ' || p.currency || ': frontier (' || p.settled_through_entry_id || ', ' || p.cutoff || ') does not follow ' ||
      CASE WHEN p.prior_payout_id IS NULL THEN 'the origin' ELSE 'payout ' || p.prior_payout_id END || ' alone'
    FROM payouts p
    LEFT JOIN payouts prior ON prior.id = p.prior_payout_id
    WHERE (p.prior_payout_id IS NULL AND (p.prior_through_entry_id <> 0 OR p.prior_cutoff <> '-infinity'))
       OR (p.prior_payout_id IS NOT NULL AND (prior.restaurant_id, prior.currency, prior.settled_through_entry_id, prior.cutoff)
             IS DISTINCT FROM (p.restaurant_id, p.currency, p.prior_through_entry_id, p.prior_cutoff))
       OR p.settled_through_entry_id < p.prior_through_entry_id OR p.cutoff < p.prior_cutoff
       OR EXISTS (SELECT 1 FROM payouts twin WHERE twin.restaurant_id = p.restaurant_id AND twin.currency = p.currency
                    AND twin.id <> p.id AND twin.prior_payout_id IS NOT DISTINCT FROM p.prior_payout_id)
    UNION ALL
    SELECT 'PAYOUT_EVENT_UNMATCHED', pe.event_id, NULL, NULL,
      pe.event_type || ' names payout ' || COALESCE(pe.metadata ->> 'payout_id', '(none)') ||
      CASE WHEN p.id IS NULL THEN ', which does not exist' ELSE ', whose restaurant, currency or amount differ' END
    FROM processor_events pe
    LEFT JOIN payouts p ON p.id::text = pe.metadata ->> 'payout_id' AND jsonb_typeof(pe.metadata -> 'payout_id') = 'string'
    WHERE pe.event_type IN (SELECT event_type FROM event_rules WHERE contradicted_by IS NOT NULL)
      AND (p.id IS NULL OR p.restaurant_id <> pe.restaurant_id OR p.currency <> pe.currency OR p.amount_minor <> pe.amount_minor)
    UNION ALL
    SELECT 'PAYOUT_EVENT_CONTRADICTED', pe.event_id, NULL, p.id,
      pe.event_type || ' for a payout that is ' || p.status
    FROM processor_events pe
    JOIN payouts p ON p.id::text = pe.metadata ->> 'payout_id' AND jsonb_typeof(pe.metadata -> 'payout_id') = 'string'
    JOIN event_rules r ON r.event_type = pe.event_type AND p.status = r.contradicted_by
    UNION ALL
    SELECT 'BALANCE_OUT_OF_RANGE', NULL, NULL, NULL,
      restaurant_id || ' ' || currency || ': entries sum to ' || SUM(ABS(amount_minor)) || ' minor units in absolute value, beyond 2^53-1'
    FROM ledger_entries
    GROUP BY restaurant_id, currency
    HAVING SUM(ABS(amount_minor)) > ${FIGURE_MAX}
    UNION ALL
    SELECT 'DISPUTE_CHARGE_NOT_FOUND', o.event_id, NULL, NULL,
      'dispute ' || d.dispute_id || ' names a charge the ledger does not know (charge_event_id ' ||
      COALESCE(d.charge_event_id, '(none)') || ', payment_id ' || COALESCE(d.payment_id, '(none)') || ')'
    FROM disputes d JOIN processor_events o ON o.id = d.opened_event_pk
    WHERE NOT d.charge_found
    UNION ALL
    SELECT 'DISPUTE_PROJECTION_MISMATCH', o.event_id, NULL, NULL,
      'dispute ' || COALESCE(d.dispute_id, e.dispute_id) || ': the disputes row disagrees with its events'
    FROM disputes d
    FULL JOIN dispute_events e ON e.dispute_id = d.dispute_id
    LEFT JOIN processor_events o ON o.id = e.opened_pk
    LEFT JOIN processor_events c ON c.id = e.closed_pk
    WHERE d.id IS NULL OR e.dispute_id IS NULL OR e.opened_count <> 1 OR e.closed_count > 1
       OR d.opened_event_pk <> e.opened_pk OR d.closed_event_pk IS DISTINCT FROM e.closed_pk
       OR d.restaurant_id <> o.restaurant_id OR d.currency <> o.currency
       OR d.amount_minor <> o.amount_minor OR d.fee_minor <> o.fee_minor
       OR d.status <> CASE c.event_type WHEN 'dispute_won' THEN 'won' WHEN 'dispute_lost' THEN 'lost' ELSE 'open' END
    UNION ALL
    SELECT 'RECONCILIATION_COUNTS_MISMATCH', NULL, NULL, NULL,
      'reconciliation ' || id || ': stored counts differ from its lists'
    FROM reconciliations
    WHERE matched_count <> jsonb_array_length(result -> 'matched')
       OR amount_mismatch_count <> jsonb_array_length(result -> 'amount_mismatch')
       OR in_ledger_not_in_report_count <> jsonb_array_length(result -> 'in_ledger_not_in_report')
       OR in_report_not_in_ledger_count <> jsonb_array_length(result -> 'in_report_not_in_ledger')
       OR row_count < payout_count
    UNION ALL
    SELECT 'BALANCE_CHECKPOINT_MISMATCH', NULL, NULL, NULL,
      restaurant_id || ' ' || currency || ': the balance checkpoint through entry ' || through_entry_id || ' holds total ' || total_minor ||
      ' and available ' || available_minor || ', its entries sum to ' || total || ' and ' || available
    FROM balance_checkpoint_sums
    WHERE total <> total_minor OR available <> available_minor
    UNION ALL
    SELECT 'STATEMENT_CHECKPOINT_MISMATCH', NULL, NULL, NULL,
      restaurant_id || ' ' || currency || ': the mark at (' || occurred_at || ', ' || entry_id || ') of the statement checkpoint through entry ' ||
      through_entry_id || ' holds ' || balance_before || ', the entries before it sum to ' || entries_before
    FROM statement_mark_sums
    WHERE is_mark AND balance_before <> entries_before
    UNION ALL
    SELECT 'LEDGER_SEAL_BROKEN', NULL, NULL, NULL,
      'block ' || block_number || ': does not follow ' || CASE WHEN block_number = 1 THEN 'the genesis' ELSE 'block ' || (block_number - 1) END
    FROM seal_links
    WHERE CASE WHEN block_number = 1 THEN prior_block IS NOT NULL OR prior_last_entry_id <> 0 OR prior_hash <> ${GENESIS_HASH}::bytea
          ELSE before_block IS DISTINCT FROM block_number - 1 OR prior_block IS DISTINCT FROM block_number - 1
            OR prior_hash IS DISTINCT FROM before_hash OR prior_last_entry_id IS DISTINCT FROM before_last END
    UNION ALL
    SELECT 'LEDGER_SEAL_BROKEN', NULL, NULL, NULL,
      'block ' || block_number || ': its entries hash to ' || COALESCE(encode(recomputed, 'hex'), '(no entries)') || ', the seal records ' || encode(hash, 'hex')
    FROM seal_hashes
    WHERE recomputed IS DISTINCT FROM hash
    UNION ALL
    SELECT 'OUTBOUND_EVENT_MISSING', f.event_id, NULL, f.payout_id,
      'no outbound event ' || f.source_key || ', though the projector passed ' || f.source || ' row ' || f.source_pk || ' (watermark ' || f.watermark || ')'
    FROM outbound_passed_facts f
    WHERE NOT EXISTS (SELECT 1 FROM outbound_events oe WHERE oe.source_key = f.source_key)
    UNION ALL
    SELECT 'OUTBOUND_DELIVERY_INCONSISTENT', NULL, NULL, NULL,
      'delivery ' || d.id || ' (' || d.webhook_id || ') is ' || d.status || ' after ' || d.attempts || ' of ' || d.attempt_limit ||
      ' attempts; its log holds ' || COALESCE(a.logged, 0) || ' attempts, ' || COALESCE(a.delivered, 0) || ' delivered, the last numbered ' ||
      COALESCE(a.last_attempt::text, '(none)')
    FROM outbound_deliveries d
    LEFT JOIN outbound_attempt_log a ON a.delivery_id = d.id
    WHERE (d.status = 'delivered' AND (d.delivered_at IS NULL OR COALESCE(a.delivered, 0) = 0))
       OR (d.status = 'failed' AND (d.attempts < d.attempt_limit OR COALESCE(a.logged, 0) = 0))
       OR a.last_attempt > d.attempts
    ORDER BY 1, 2, 3, 4, 5`.execute(db);
  return rows;
}

/**
 * Q4's view of each dispute as its stored events tell it (the events are the truth; the disputes
 * table is their projection): its opening and closing events and how many of each there are.
 */
const DISPUTE_PROJECTION_CTES = sql`dispute_events AS (
      SELECT pe.metadata ->> 'dispute_id' AS dispute_id,
        MIN(pe.id) FILTER (WHERE pe.event_type = 'dispute_opened') AS opened_pk,
        COUNT(*) FILTER (WHERE pe.event_type = 'dispute_opened') AS opened_count,
        MIN(pe.id) FILTER (WHERE pe.event_type IN ('dispute_won', 'dispute_lost')) AS closed_pk,
        COUNT(*) FILTER (WHERE pe.event_type IN ('dispute_won', 'dispute_lost')) AS closed_count
      FROM processor_events pe
      WHERE pe.event_type IN ('dispute_opened', 'dispute_won', 'dispute_lost')
      GROUP BY pe.metadata ->> 'dispute_id'
    )`;

/**
 * Q4's view of the checkpoints (docs/adr/0001-balance-checkpoints.md, 0007-statement-checkpoints.md):
 * the latest of each (restaurant, currency), the only one reads start from, against the plain sums
 * of the entries it covers. A balance checkpoint's total and available; each mark of a statement
 * checkpoint against the covered entries before it, in one window per checkpoint (a mark sorts
 * just before its own entry).
 */
const CHECKPOINT_CTES = sql`balance_checkpoint_sums AS (
      SELECT cp.*, s.total, s.available
      FROM (
        SELECT DISTINCT ON (restaurant_id, currency) restaurant_id, currency, through_entry_id, cut_at, total_minor, available_minor
        FROM balance_checkpoints ORDER BY restaurant_id, currency, through_entry_id DESC
      ) AS cp
      CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(le.amount_minor) FILTER (WHERE le.occurred_at <= cp.cut_at), 0) AS total,
               COALESCE(SUM(le.amount_minor) FILTER (WHERE le.available_at <= cp.cut_at), 0) AS available
        FROM ledger_entries le
        WHERE le.restaurant_id = cp.restaurant_id AND le.currency = cp.currency AND le.id <= cp.through_entry_id
      ) AS s
    ),
    latest_statement_checkpoints AS (
      SELECT DISTINCT ON (restaurant_id, currency) id, restaurant_id, currency, through_entry_id
      FROM statement_checkpoints ORDER BY restaurant_id, currency, through_entry_id DESC
    ),
    statement_mark_sums AS (
      SELECT p.*, SUM(p.amount_minor) OVER (PARTITION BY p.checkpoint_id ORDER BY p.occurred_at, p.entry_id, p.is_mark DESC ROWS UNBOUNDED PRECEDING) AS entries_before
      FROM (
        SELECT c.id AS checkpoint_id, c.restaurant_id, c.currency, c.through_entry_id, m.occurred_at, m.entry_id, true AS is_mark, 0::bigint AS amount_minor, m.balance_before
        FROM latest_statement_checkpoints c JOIN statement_checkpoint_marks m ON m.checkpoint_id = c.id
        UNION ALL
        SELECT c.id, c.restaurant_id, c.currency, c.through_entry_id, le.occurred_at, le.id, false, le.amount_minor, NULL
        FROM latest_statement_checkpoints c
        JOIN ledger_entries le ON le.restaurant_id = c.restaurant_id AND le.currency = c.currency AND le.id <= c.through_entry_id
      ) AS p
    )`;

/**
 * Q4's view of the hash chain (docs/tamper-evidence.md): every seal's link to the one before it
 * (the seal rows only, cheap at any size), and the hashes of the latest INTEGRITY_SEAL_BLOCKS blocks
 * recomputed from their entries with the sealer's own SQL. The whole chain, recomputed
 * independently of that SQL, is the verify route's job (GET /v1/ledger/verify).
 */
const SEAL_CTES = sql`seal_links AS (
      SELECT block_number, prior_block, prior_hash, prior_last_entry_id,
        LAG(block_number) OVER (ORDER BY block_number) AS before_block,
        LAG(hash) OVER (ORDER BY block_number) AS before_hash,
        LAG(last_entry_id) OVER (ORDER BY block_number) AS before_last
      FROM ledger_seals
    ),
    seal_hashes AS (
      SELECT s.block_number, s.hash,
        sha256(s.prior_hash || convert_to(b.lines || ${sealTrailer(sql`s.block_number`, sql`s.prior_last_entry_id`, sql`b.first_id`, sql`b.last_id`, sql`b.n`)}, 'UTF8')) AS recomputed
      FROM (SELECT block_number, prior_hash, prior_last_entry_id, last_entry_id, hash FROM ledger_seals ORDER BY block_number DESC LIMIT ${INTEGRITY_SEAL_BLOCKS}) AS s
      CROSS JOIN LATERAL (
        SELECT MIN(le.id) AS first_id, MAX(le.id) AS last_id, COUNT(*) AS n, string_agg(${SEAL_LINE}, '' ORDER BY le.id) AS lines
        FROM ledger_entries le
        WHERE le.id > s.prior_last_entry_id AND le.id <= s.last_entry_id
      ) AS b
    )`;

/**
 * Q4's view of the outbox (docs/outbound-events.md): each fact the projector derives from a source
 * row it has passed (projected_from < id <= watermark, the rows before projected_from being history
 * from before outbound events), by its source key, as the projector derives it: a dispute's opening
 * and closing event, a payout's creation, a reconciliation, and a paid or failed payout once the
 * last payout_paid/payout_failed event naming it is passed (the one that settled it is at or before
 * that, and the projector keys the fact by the payout's final status). balance.below_zero is left
 * out: the projector decides it from the balance when it projects, which a later event dated
 * earlier changes. And each delivery's attempt log, to hold its status against.
 */
const OUTBOUND_CTES = sql`payout_outcome_events AS (
      SELECT pe.metadata ->> 'payout_id' AS payout_key, pe.event_type, MAX(pe.id) AS last_pk
      FROM processor_events pe
      WHERE pe.event_type IN ('payout_paid', 'payout_failed')
      GROUP BY pe.metadata ->> 'payout_id', pe.event_type
    ),
    outbound_facts AS (
      SELECT 'processor_events' AS source, pe.id AS source_pk, pe.event_id, NULL::bigint AS payout_id, 'dispute.opened:' || d.dispute_id AS source_key
      FROM disputes d JOIN processor_events pe ON pe.id = d.opened_event_pk
      UNION ALL
      SELECT 'processor_events', pe.id, pe.event_id, NULL, 'dispute.closed:' || d.dispute_id
      FROM disputes d JOIN processor_events pe ON pe.id = d.closed_event_pk
      UNION ALL
      SELECT 'processor_events', pe.id, pe.event_id, p.id, 'payout.' || p.status || ':' || p.id
      FROM payouts p
      JOIN payout_outcome_events o ON o.payout_key = p.id::text
        AND o.event_type = CASE p.status WHEN 'paid' THEN 'payout_paid' ELSE 'payout_failed' END
      JOIN processor_events pe ON pe.id = o.last_pk
      WHERE p.status IN ('paid', 'failed')
      UNION ALL
      SELECT 'payouts', p.id, NULL, p.id, 'payout.created:' || p.id FROM payouts p
      UNION ALL
      SELECT 'reconciliations', r.id, NULL, NULL, 'reconciliation.completed:' || r.id FROM reconciliations r
    ),
    outbound_passed_facts AS (
      SELECT f.*, w.watermark
      FROM outbound_facts f
      JOIN outbound_projector_state w ON w.source = f.source AND f.source_pk > w.projected_from AND f.source_pk <= w.watermark
    ),
    outbound_attempt_log AS (
      SELECT delivery_id, COUNT(*) AS logged, COUNT(*) FILTER (WHERE outcome = 'delivered') AS delivered, MAX(attempt) AS last_attempt
      FROM outbound_delivery_attempts
      GROUP BY delivery_id
    )`;

/** Q4's rules as data, from each event type's integrity rule and each entry type's sign. */
function integrityRulesOf(registry: EventRegistry): { eventRules: string; entryRules: string } {
  const eventRules = registry.eventTypes.map(({ event_type, integrity }) =>
    integrity.kind === 'entries_sum'
      ? {
          event_type,
          amount_factor: integrity.amount,
          fee_factor: integrity.fee,
          contradicted_by: null,
          net_first: integrity.nets_to_zero?.[0] ?? null,
          net_then: integrity.nets_to_zero?.[1] ?? null,
        }
      : { event_type, amount_factor: null, fee_factor: null, contradicted_by: integrity.contradicted_by, net_first: null, net_then: null },
  );
  const entryRules = registry.entryTypes.map(({ entry_type, sign }) => ({ entry_type, sign }));
  return { eventRules: JSON.stringify(eventRules), entryRules: JSON.stringify(entryRules) };
}
