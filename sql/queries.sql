-- restaurant-ledger reports Q1–Q5, as readable SQL.
--
-- These are the queries that packages/core/src/reports/reports.repository.ts builds with Kysely,
-- written out for review. They are not a copy that can drift: packages/core/test/queries-sql.test.ts
-- runs every block below against a seeded (and, for Q4, deliberately damaged) ledger with many
-- parameter sets and fails unless each returns exactly the rows its Kysely twin returns.
-- The exact SQL Kysely sends is in packages/core/sql/reports.repository.sql (generated).
--
-- Each block starts with "-- name:" and lists its parameters in order. Money is BIGINT minor units;
-- times are TIMESTAMPTZ. Entry signs: sale, payout_reversal and dispute_release > 0; fee, refund,
-- payout, dispute_hold, dispute_fee and chargeback < 0.
-- 9007199254740991 is 2^53-1: each amount is at most that, but a sum of them may pass it, and JSON
-- cannot carry such a figure exactly. Q1–Q3 leave such a row out; Q4 names it (BALANCE_OUT_OF_RANGE).


-- name: q1_available_balances
-- Q1: each restaurant's available balance in one currency at a moment, with the latest event
-- counted. An entry counts when its event occurred by $2; it is available when it matured by $2.
-- Keyset-paged by restaurant id: pass the last id of the previous page as $3 ('' for the first),
-- and one more than the page size as $4 (an extra row means another page follows).
-- Served by ledger_entries_balance_idx (restaurant_id, currency, occurred_at) INCLUDE (available_at,
-- amount_minor): an index-only scan, already in restaurant_id order, so no sort before GROUP BY.
--   $1 currency   $2 as_of (timestamptz)   $3 after_restaurant_id   $4 row_limit
SELECT
  restaurant_id,
  COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= $2), 0) AS available,
  MAX(occurred_at)                                                  AS last_event_at
FROM ledger_entries
WHERE currency = $1
  AND occurred_at <= $2
  AND restaurant_id > $3
GROUP BY restaurant_id
HAVING ABS(COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= $2), 0)) <= 9007199254740991
ORDER BY restaurant_id
LIMIT $4;


-- name: q2_top_restaurants
-- Q2: the top N restaurants by net revenue (sales - fees - refunds; the signs are already in the
-- amounts, so it is a plain sum) among events that occurred in ($2, $3], with how many charges and
-- refunds made it, ranked by a window function. Ties share a rank (RANK, not ROW_NUMBER), so a
-- tie at the edge may return more than N rows. Payout entries are not revenue and are left out.
--   $1 currency   $2 from (exclusive)   $3 to (inclusive)   $4 top (10 on the route)
WITH activity AS (
  SELECT
    le.restaurant_id,
    SUM(le.amount_minor)                                                          AS net_revenue,
    COUNT(DISTINCT pe.id) FILTER (WHERE pe.event_type = 'charge_succeeded')::int AS charges,
    COUNT(DISTINCT pe.id) FILTER (WHERE pe.event_type = 'refund_succeeded')::int AS refunds
  FROM ledger_entries le
  JOIN processor_events pe ON pe.id = le.processor_event_id
  WHERE le.currency = $1
    AND le.entry_type IN ('sale', 'fee', 'refund')
    AND le.occurred_at > $2
    AND le.occurred_at <= $3
  GROUP BY le.restaurant_id
  HAVING ABS(SUM(le.amount_minor)) <= 9007199254740991
),
ranked AS (
  SELECT activity.*, RANK() OVER (ORDER BY net_revenue DESC)::int AS rank
  FROM activity
)
SELECT rank, restaurant_id, net_revenue, charges, refunds
FROM ranked
WHERE rank <= $4
ORDER BY rank, restaurant_id;


-- name: q3_payout_eligibility
-- Q3: whom a payout run for ($1, $2, $4) would pay, and how much. The inner SELECT is the payout
-- eligibility rule itself (payoutDecisions in packages/core/src/payouts/payout-eligibility.repository.ts):
-- payout runs decide each batch of restaurants with it, and Q3 applies it to every restaurant and
-- keeps those with no reason to skip. Per restaurant:
--   latest: its last payout in the currency, whose settlement frontier (settled_through_entry_id,
--      cutoff) says what is settled: every entry up to that id and available by that cutoff
--      (docs/adr/0004-payout-settlement-frontier.md); none: nothing is settled;
--   u: the amount, the sum of the entries outside that frontier and available by the cutoff $3,
--      other than payout entries; and the sum of their absolute values (each entry type has one
--      sign, so this is the items' gross). Two index range scans (entries recorded after the
--      frontier, by id; older ones that matured after its cutoff, by available_at) and the payout
--      entries inside them taken back out, all read from indexes. A run also bounds the ids by its
--      watermark; Q3 counts every entry it sees;
--   b: the payouts that block a new one: one for this as_of, one with a later cutoff, an open one
--      (created or processing);
--   skip_reason: the first that applies, in this order, or NULL when the restaurant is paid: an
--      amount must reach both the run's min_amount and the restaurant's payout_minimum.
-- The cutoff is the end of the as_of day in UTC, or now if that is earlier.
--   $1 currency   $2 as_of (date)   $3 cutoff (timestamptz)   $4 min_amount
SELECT restaurant_id, amount
FROM (
  SELECT
    r.id                     AS restaurant_id,
    COALESCE(u.amount, 0)    AS amount,
    CASE
      WHEN b.same_as_of                         THEN 'already_paid_for_as_of'
      WHEN b.later_cutoff                       THEN 'later_payout_exists'
      WHEN b.open                               THEN 'open_payout'
      WHEN u.amount IS NULL OR u.amount <= 0    THEN 'not_positive'
      WHEN u.gross > 9007199254740991           THEN 'amount_out_of_range'  -- JSON cannot carry it
      WHEN u.amount < $4                        THEN 'below_min_amount'
      -- The restaurant's own minimum for the currency (a currency it does not list: 0).
      WHEN u.amount < COALESCE((r.payout_minimum ->> $1)::bigint, 0) THEN 'below_payout_minimum'
    END                      AS skip_reason
  FROM restaurants r
  LEFT JOIN LATERAL (
    SELECT p.settled_through_entry_id AS through, p.cutoff
    FROM payouts p
    WHERE p.restaurant_id = r.id AND p.currency = $1
    ORDER BY p.settled_through_entry_id DESC, p.cutoff DESC, p.id DESC
    LIMIT 1
  ) latest ON TRUE
  CROSS JOIN LATERAL (
    SELECT COALESCE(latest.through, 0) AS through, COALESCE(latest.cutoff, '-infinity'::timestamptz) AS cutoff
  ) f
  CROSS JOIN LATERAL (
    SELECT SUM(x.amount) AS amount, SUM(x.gross) AS gross
    FROM (
      -- Recorded after the frontier, available by the cutoff.
      SELECT le.amount_minor AS amount, ABS(le.amount_minor) AS gross
      FROM ledger_entries le
      WHERE le.restaurant_id = r.id AND le.currency = $1
        AND le.id > f.through AND le.available_at <= $3::timestamptz
      UNION ALL
      -- Behind the frontier by id, matured after its cutoff.
      SELECT le.amount_minor, ABS(le.amount_minor)
      FROM ledger_entries le
      WHERE le.restaurant_id = r.id AND le.currency = $1
        AND f.through > 0 AND le.id <= f.through
        AND le.available_at > f.cutoff AND le.available_at <= $3::timestamptz
      UNION ALL
      -- The payout entries among them, taken back out (each belongs to its own payout).
      SELECT -le.amount_minor, -ABS(le.amount_minor)
      FROM ledger_entries le
      WHERE le.restaurant_id = r.id AND le.currency = $1 AND le.entry_type = 'payout'
        AND le.available_at <= $3::timestamptz
        AND NOT (le.id <= f.through AND le.available_at <= f.cutoff)
    ) AS x
  ) u
  CROSS JOIN LATERAL (
    SELECT bool_or(p.as_of = $2::date)                            AS same_as_of,
           bool_or(p.cutoff > $3::timestamptz)                    AS later_cutoff,
           bool_or(p.status IN ('created', 'processing'))         AS open
    FROM payouts p
    WHERE p.restaurant_id = r.id AND p.currency = $1
      AND (p.as_of = $2::date OR p.cutoff > $3::timestamptz OR p.status IN ('created', 'processing'))
  ) b
) AS decisions
WHERE skip_reason IS NULL
ORDER BY restaurant_id;


-- name: q4_integrity_violations
-- Q4: every integrity check, one UNION ALL branch each, returning the offending rows with a reason
-- code. A healthy ledger returns no rows. The constraints and triggers should make all but three
-- impossible; this is the second line of defence that proves it. PAYOUT_EVENT_UNMATCHED and
-- PAYOUT_EVENT_CONTRADICTED are the processor's doing; BALANCE_OUT_OF_RANGE is sums of legal amounts.
--   (no parameters)
WITH event_sums AS (
  -- What each charge, refund or dispute event should have written, beside what its entries sum to.
  SELECT
    pe.id, pe.event_id, pe.event_type,
    CASE pe.event_type
      WHEN 'charge_succeeded' THEN pe.amount_minor - pe.fee_minor
      WHEN 'refund_succeeded' THEN -(pe.amount_minor + pe.fee_minor)
      WHEN 'dispute_opened'   THEN -(pe.amount_minor + pe.fee_minor)
      WHEN 'dispute_won'      THEN pe.amount_minor
      WHEN 'dispute_lost'     THEN 0
    END AS expected,
    (SELECT SUM(le.amount_minor) FROM ledger_entries le WHERE le.processor_event_id = pe.id) AS actual
  FROM processor_events pe
  WHERE pe.event_type IN ('charge_succeeded', 'refund_succeeded', 'dispute_opened', 'dispute_won', 'dispute_lost')
),
event_netting AS (
  -- A charge's reserve: its reserve_hold and reserve_release, both or neither, once each, summing
  -- to zero, the release available no earlier than the hold.
  SELECT
    pe.event_id,
    COALESCE(SUM(le.amount_minor), 0)                           AS net,
    COUNT(le.id) FILTER (WHERE le.entry_type = 'reserve_hold')    AS holds,
    COUNT(le.id) FILTER (WHERE le.entry_type = 'reserve_release') AS releases,
    COALESCE(MIN(le.available_at) FILTER (WHERE le.entry_type = 'reserve_release')
               < MAX(le.available_at) FILTER (WHERE le.entry_type = 'reserve_hold'), false) AS release_too_early
  FROM processor_events pe
  LEFT JOIN ledger_entries le ON le.processor_event_id = pe.id AND le.entry_type IN ('reserve_hold', 'reserve_release')
  WHERE pe.event_type = 'charge_succeeded'
  GROUP BY pe.event_id
),
payout_items AS (
  -- Per payout: its items, the entries between its settlement frontier and the prior one (payout
  -- entries aside), and with them its own -amount payout entry.
  SELECT p.id, p.amount_minor, items.items_sum, items.items_sum + own.amount_minor AS settled_sum
  FROM payouts p
  CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(s.amount_minor), 0) AS items_sum
    FROM (
      SELECT le.amount_minor FROM ledger_entries le
      WHERE le.restaurant_id = p.restaurant_id AND le.currency = p.currency AND le.entry_type <> 'payout'
        AND le.id > p.prior_through_entry_id AND le.id <= p.settled_through_entry_id AND le.available_at <= p.cutoff
      UNION ALL
      SELECT le.amount_minor FROM ledger_entries le
      WHERE le.restaurant_id = p.restaurant_id AND le.currency = p.currency AND le.entry_type <> 'payout'
        AND p.prior_through_entry_id > 0 AND le.id <= p.prior_through_entry_id
        AND le.available_at > p.prior_cutoff AND le.available_at <= p.cutoff
    ) AS s
  ) items
  CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(le.amount_minor), 0) AS amount_minor FROM ledger_entries le
    WHERE le.restaurant_id = p.restaurant_id AND le.currency = p.currency AND le.entry_type = 'payout' AND le.payout_id = p.id
  ) own
),
dispute_events AS (
  -- Each dispute as its stored events tell it (the disputes table is their projection): its opening
  -- and closing events, and how many of each (one and at most one, when the lifecycle held).
  SELECT
    pe.metadata ->> 'dispute_id' AS dispute_id,
    MIN(pe.id) FILTER (WHERE pe.event_type = 'dispute_opened')                    AS opened_pk,
    COUNT(*)   FILTER (WHERE pe.event_type = 'dispute_opened')                    AS opened_count,
    MIN(pe.id) FILTER (WHERE pe.event_type IN ('dispute_won', 'dispute_lost'))    AS closed_pk,
    COUNT(*)   FILTER (WHERE pe.event_type IN ('dispute_won', 'dispute_lost'))    AS closed_count
  FROM processor_events pe
  WHERE pe.event_type IN ('dispute_opened', 'dispute_won', 'dispute_lost')
  GROUP BY pe.metadata ->> 'dispute_id'
),
balance_checkpoint_sums AS (
  -- The latest balance checkpoint of each (restaurant, currency), the only one balances start from
  -- (docs/adr/0001-balance-checkpoints.md), beside the plain sums of the entries it covers.
  SELECT cp.*, s.total, s.available
  FROM (
    SELECT DISTINCT ON (restaurant_id, currency) restaurant_id, currency, through_entry_id, cut_at, total_minor, available_minor
    FROM balance_checkpoints
    ORDER BY restaurant_id, currency, through_entry_id DESC
  ) AS cp
  CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(le.amount_minor) FILTER (WHERE le.occurred_at <= cp.cut_at), 0)   AS total,
           COALESCE(SUM(le.amount_minor) FILTER (WHERE le.available_at <= cp.cut_at), 0) AS available
    FROM ledger_entries le
    WHERE le.restaurant_id = cp.restaurant_id AND le.currency = cp.currency AND le.id <= cp.through_entry_id
  ) AS s
),
latest_statement_checkpoints AS (
  -- The latest statement checkpoint of each (restaurant, currency), the only one pages start from
  -- (docs/adr/0004-statement-checkpoints.md).
  SELECT DISTINCT ON (restaurant_id, currency) id, restaurant_id, currency, through_entry_id
  FROM statement_checkpoints
  ORDER BY restaurant_id, currency, through_entry_id DESC
),
statement_mark_sums AS (
  -- Its marks and the entries it covers in statement order, one window per checkpoint: at a mark
  -- (which sorts just before its own entry), the sum of the covered entries before it.
  SELECT p.*,
         SUM(p.amount_minor) OVER (PARTITION BY p.checkpoint_id ORDER BY p.occurred_at, p.entry_id, p.is_mark DESC
                                   ROWS UNBOUNDED PRECEDING) AS entries_before
  FROM (
    SELECT c.id AS checkpoint_id, c.restaurant_id, c.currency, c.through_entry_id,
           m.occurred_at, m.entry_id, true AS is_mark, 0::bigint AS amount_minor, m.balance_before
    FROM latest_statement_checkpoints c
    JOIN statement_checkpoint_marks m ON m.checkpoint_id = c.id
    UNION ALL
    SELECT c.id, c.restaurant_id, c.currency, c.through_entry_id, le.occurred_at, le.id, false, le.amount_minor, NULL
    FROM latest_statement_checkpoints c
    JOIN ledger_entries le ON le.restaurant_id = c.restaurant_id AND le.currency = c.currency AND le.id <= c.through_entry_id
  ) AS p
),
-- The hash chain (docs/tamper-evidence.md): each seal beside the one before it.
seal_links AS (
  SELECT block_number, prior_block, prior_hash, prior_last_entry_id,
         LAG(block_number)  OVER (ORDER BY block_number) AS before_block,
         LAG(hash)          OVER (ORDER BY block_number) AS before_hash,
         LAG(last_entry_id) OVER (ORDER BY block_number) AS before_last
  FROM ledger_seals
),
-- The latest 100 blocks (INTEGRITY_SEAL_BLOCKS) hashed again from their entries, in the canonical
-- form version 1: SHA-256 over the prior hash, then in UTF-8 one line per entry in id order
--   id|<bytes>:restaurant_id|<bytes>:currency|<bytes>:entry_type|amount|occurred_at|available_at|processor_event_id|payout_id|created_at
-- (times in epoch microseconds, an absent id empty), then the trailer
--   ledger-seal-v1 block <n> after <prior last entry id> first <id> last <id> count <n>
seal_hashes AS (
  SELECT s.block_number, s.hash,
         sha256(s.prior_hash || convert_to(b.lines
           || 'ledger-seal-v1 block ' || s.block_number || ' after ' || s.prior_last_entry_id
           || ' first ' || b.first_id || ' last ' || b.last_id || ' count ' || b.n || E'\n', 'UTF8')) AS recomputed
  FROM (SELECT block_number, prior_hash, prior_last_entry_id, last_entry_id, hash
        FROM ledger_seals ORDER BY block_number DESC LIMIT 100) AS s
  CROSS JOIN LATERAL (
    SELECT MIN(le.id) AS first_id, MAX(le.id) AS last_id, COUNT(*) AS n,
           string_agg(
             le.id::text || '|' || octet_length(le.restaurant_id) || ':' || le.restaurant_id
             || '|' || octet_length(le.currency) || ':' || le.currency
             || '|' || octet_length(le.entry_type) || ':' || le.entry_type
             || '|' || le.amount_minor::text
             || '|' || trunc(extract(epoch FROM le.occurred_at) * 1000000)::text
             || '|' || trunc(extract(epoch FROM le.available_at) * 1000000)::text
             || '|' || COALESCE(le.processor_event_id::text, '') || '|' || COALESCE(le.payout_id::text, '')
             || '|' || trunc(extract(epoch FROM le.created_at) * 1000000)::text || E'\n',
             '' ORDER BY le.id) AS lines
    FROM ledger_entries le
    WHERE le.id > s.prior_last_entry_id AND le.id <= s.last_entry_id
  ) AS b
),
-- The outbox (docs/outbound-events.md). Per payout named by payout_paid/payout_failed events, the
-- last such event of each type.
payout_outcome_events AS (
  SELECT pe.metadata ->> 'payout_id' AS payout_key, pe.event_type, MAX(pe.id) AS last_pk
  FROM processor_events pe
  WHERE pe.event_type IN ('payout_paid', 'payout_failed')
  GROUP BY pe.metadata ->> 'payout_id', pe.event_type
),
-- Each fact the projector derives, by source row and source key: a dispute's opening and closing
-- events, a paid or failed payout (keyed by the payout's final status, from the last event naming
-- it: the one that settled it is at or before it), a payout's creation, a reconciliation.
-- balance.below_zero is not here: the projector decides it from the balance when it projects, and
-- a later event dated earlier changes that balance.
outbound_facts AS (
  SELECT 'processor_events' AS source, pe.id AS source_pk, pe.event_id, NULL::bigint AS payout_id,
         'dispute.opened:' || d.dispute_id AS source_key
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
-- The facts whose source row the projector has passed: after projected_from (rows before it are
-- history from before outbound events) and at or below its source's watermark.
outbound_passed_facts AS (
  SELECT f.*, w.watermark
  FROM outbound_facts f
  JOIN outbound_projector_state w ON w.source = f.source AND f.source_pk > w.projected_from AND f.source_pk <= w.watermark
),
-- Each delivery's attempt log, summed up.
outbound_attempt_log AS (
  SELECT delivery_id, COUNT(*) AS logged, COUNT(*) FILTER (WHERE outcome = 'delivered') AS delivered, MAX(attempt) AS last_attempt
  FROM outbound_delivery_attempts
  GROUP BY delivery_id
)
-- An event whose entries are missing.
SELECT 'EVENT_WITHOUT_ENTRIES' AS reason, event_id, NULL::bigint AS entry_id, NULL::bigint AS payout_id,
       event_type || ' has no ledger entries' AS detail
FROM event_sums
WHERE actual IS NULL
UNION ALL
-- An event whose entries do not sum to what its type says.
SELECT 'EVENT_ENTRIES_MISMATCH', event_id, NULL, NULL,
       'entries sum to ' || actual || ', expected ' || expected
FROM event_sums
WHERE actual IS NOT NULL AND actual <> expected
UNION ALL
-- A charge whose reserve entries do not net to zero (they must, so that it still sums to amount - fee).
SELECT 'ENTRIES_NOT_NETTED', event_id, NULL, NULL,
       'reserve_hold ×' || holds || ' and reserve_release ×' || releases || ' sum to ' || net ||
       CASE WHEN release_too_early THEN ', reserve_release available before reserve_hold' ELSE '' END
FROM event_netting
WHERE net <> 0 OR holds <> releases OR holds > 1 OR release_too_early
UNION ALL
-- An entry whose event or payout does not exist (anti-joins), or that names neither.
SELECT 'ENTRY_WITHOUT_SOURCE', NULL, le.id, le.payout_id, 'names a missing event or payout'
FROM ledger_entries le
WHERE (le.processor_event_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM processor_events pe WHERE pe.id = le.processor_event_id))
   OR (le.payout_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.id = le.payout_id))
   OR (le.processor_event_id IS NULL AND le.payout_id IS NULL)
UNION ALL
-- An entry with the wrong sign for its type.
SELECT 'ENTRY_WRONG_SIGN', NULL, le.id, le.payout_id, le.entry_type || ' of ' || le.amount_minor
FROM ledger_entries le
WHERE NOT ((le.entry_type IN ('sale', 'payout_reversal', 'dispute_release', 'reserve_release') AND le.amount_minor > 0)
        OR (le.entry_type IN ('fee', 'refund', 'payout', 'dispute_hold', 'dispute_fee', 'chargeback', 'reserve_hold') AND le.amount_minor < 0))
UNION ALL
-- A payout whose items do not sum to its amount.
SELECT 'PAYOUT_ITEMS_MISMATCH', NULL, NULL, id, 'items sum to ' || items_sum || ', amount is ' || amount_minor
FROM payout_items
WHERE items_sum <> amount_minor
UNION ALL
-- A payout whose settled entries, its own -amount payout entry included, do not sum to zero.
SELECT 'PAYOUT_NOT_ZERO_SUM', NULL, NULL, id, 'settled entries with the payout entry sum to ' || settled_sum
FROM payout_items
WHERE settled_sum <> 0
UNION ALL
-- A payout whose settlement frontier does not follow its prior payout's alone: a second payout
-- after the same one (or a second first one), a recorded prior frontier that is not the prior
-- payout's, or a frontier behind it. Its entries could then be settled twice, or never.
SELECT 'PAYOUT_FRONTIER_BROKEN', NULL, NULL, p.id,
       p.restaurant_id || ' ' || p.currency || ': frontier (' || p.settled_through_entry_id || ', ' || p.cutoff || ') does not follow ' ||
       CASE WHEN p.prior_payout_id IS NULL THEN 'the origin' ELSE 'payout ' || p.prior_payout_id END || ' alone'
FROM payouts p
LEFT JOIN payouts prior ON prior.id = p.prior_payout_id
WHERE (p.prior_payout_id IS NULL AND (p.prior_through_entry_id <> 0 OR p.prior_cutoff <> '-infinity'))
   OR (p.prior_payout_id IS NOT NULL AND (prior.restaurant_id, prior.currency, prior.settled_through_entry_id, prior.cutoff)
         IS DISTINCT FROM (p.restaurant_id, p.currency, p.prior_through_entry_id, p.prior_cutoff))
   OR p.settled_through_entry_id < p.prior_through_entry_id OR p.cutoff < p.prior_cutoff
   OR EXISTS (SELECT 1 FROM payouts twin
              WHERE twin.restaurant_id = p.restaurant_id AND twin.currency = p.currency
                AND twin.id <> p.id AND twin.prior_payout_id IS NOT DISTINCT FROM p.prior_payout_id)
UNION ALL
-- A payout_paid / payout_failed event that matches no payout (stored, changed nothing). Payout ids
-- are strings on the wire: a JSON number names no payout, as the event handler reads it.
SELECT 'PAYOUT_EVENT_UNMATCHED', pe.event_id, NULL, NULL,
       pe.event_type || ' names payout ' || COALESCE(pe.metadata ->> 'payout_id', '(none)') ||
       CASE WHEN p.id IS NULL THEN ', which does not exist'
            ELSE ', whose restaurant, currency or amount differ' END
FROM processor_events pe
LEFT JOIN payouts p ON p.id::text = pe.metadata ->> 'payout_id'
                   AND jsonb_typeof(pe.metadata -> 'payout_id') = 'string'
WHERE pe.event_type IN ('payout_paid', 'payout_failed')
  AND (p.id IS NULL
       OR p.restaurant_id <> pe.restaurant_id
       OR p.currency <> pe.currency
       OR p.amount_minor <> pe.amount_minor)
UNION ALL
-- A payout_paid for a payout that failed, or a payout_failed for one that was paid: the processor
-- contradicts itself (the later event changed nothing). Someone must find out which is true.
SELECT 'PAYOUT_EVENT_CONTRADICTED', pe.event_id, NULL, p.id, pe.event_type || ' for a payout that is ' || p.status
FROM processor_events pe
JOIN payouts p ON p.id::text = pe.metadata ->> 'payout_id'
              AND jsonb_typeof(pe.metadata -> 'payout_id') = 'string'
WHERE (pe.event_type = 'payout_paid' AND p.status = 'failed')
   OR (pe.event_type = 'payout_failed' AND p.status = 'paid')
UNION ALL
-- A restaurant and currency whose entries sum beyond 2^53-1 in absolute value: its figures cannot be
-- carried exactly, so Q1–Q3 leave it out, payout runs skip it and its balance answers
-- AMOUNT_OUT_OF_RANGE. (Each amount is bounded; nothing bounds their sum.)
SELECT 'BALANCE_OUT_OF_RANGE', NULL, NULL, NULL,
       restaurant_id || ' ' || currency || ': entries sum to ' || SUM(ABS(amount_minor))
       || ' minor units in absolute value, beyond 2^53-1'
FROM ledger_entries
GROUP BY restaurant_id, currency
HAVING SUM(ABS(amount_minor)) > 9007199254740991
UNION ALL
-- A dispute naming a charge the ledger does not know: recorded (the processor took the money), to
-- be looked into.
SELECT 'DISPUTE_CHARGE_NOT_FOUND', o.event_id, NULL, NULL,
       'dispute ' || d.dispute_id || ' names a charge the ledger does not know (charge_event_id ' ||
       COALESCE(d.charge_event_id, '(none)') || ', payment_id ' || COALESCE(d.payment_id, '(none)') || ')'
FROM disputes d
JOIN processor_events o ON o.id = d.opened_event_pk
WHERE NOT d.charge_found
UNION ALL
-- A dispute whose row disagrees with its events: no row for events, a row without events, two
-- openings or closings, other events, or other restaurant, currency, amount, fee or status.
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
-- A stored reconciliation (docs/reconciliation.md) whose counts disagree with its own lists, or that
-- counts more payouts than rows (each payout has at least one row). Reconciliations are insert-only.
SELECT 'RECONCILIATION_COUNTS_MISMATCH', NULL, NULL, NULL,
       'reconciliation ' || id || ': stored counts differ from its lists'
FROM reconciliations
WHERE matched_count <> jsonb_array_length(result -> 'matched')
   OR amount_mismatch_count <> jsonb_array_length(result -> 'amount_mismatch')
   OR in_ledger_not_in_report_count <> jsonb_array_length(result -> 'in_ledger_not_in_report')
   OR in_report_not_in_ledger_count <> jsonb_array_length(result -> 'in_report_not_in_ledger')
   OR row_count < payout_count
UNION ALL
-- A balance checkpoint (the latest of its restaurant and currency) whose sums are not its entries'.
SELECT 'BALANCE_CHECKPOINT_MISMATCH', NULL, NULL, NULL,
       restaurant_id || ' ' || currency || ': the balance checkpoint through entry ' || through_entry_id || ' holds total ' || total_minor ||
       ' and available ' || available_minor || ', its entries sum to ' || total || ' and ' || available
FROM balance_checkpoint_sums
WHERE total <> total_minor OR available <> available_minor
UNION ALL
-- A mark of a statement checkpoint (the latest of its restaurant and currency) whose running
-- balance is not the sum of the covered entries before it.
SELECT 'STATEMENT_CHECKPOINT_MISMATCH', NULL, NULL, NULL,
       restaurant_id || ' ' || currency || ': the mark at (' || occurred_at || ', ' || entry_id || ') of the statement checkpoint through entry ' ||
       through_entry_id || ' holds ' || balance_before || ', the entries before it sum to ' || entries_before
FROM statement_mark_sums
WHERE is_mark AND balance_before <> entries_before
UNION ALL
-- A seal that does not follow the one before it (block 1: the genesis, 32 zero bytes after entry 0):
-- a seal row changed, removed or added around the triggers.
SELECT 'LEDGER_SEAL_BROKEN', NULL, NULL, NULL,
       'block ' || block_number || ': does not follow ' || CASE WHEN block_number = 1 THEN 'the genesis' ELSE 'block ' || (block_number - 1) END
FROM seal_links
WHERE CASE WHEN block_number = 1
           THEN prior_block IS NOT NULL OR prior_last_entry_id <> 0 OR prior_hash <> decode(repeat('00', 32), 'hex')
           ELSE before_block IS DISTINCT FROM block_number - 1 OR prior_block IS DISTINCT FROM block_number - 1
             OR prior_hash IS DISTINCT FROM before_hash OR prior_last_entry_id IS DISTINCT FROM before_last END
UNION ALL
-- One of the latest 100 blocks whose entries no longer hash to its seal: an entry changed, deleted,
-- or inserted into its range. Older blocks: GET /v1/ledger/verify recomputes the whole chain.
SELECT 'LEDGER_SEAL_BROKEN', NULL, NULL, NULL,
       'block ' || block_number || ': its entries hash to ' || COALESCE(encode(recomputed, 'hex'), '(no entries)')
       || ', the seal records ' || encode(hash, 'hex')
FROM seal_hashes
WHERE recomputed IS DISTINCT FROM hash
UNION ALL
-- A fact the projector has passed without its outbound event: the outbox lost one (or a watermark
-- was moved past rows never projected), and subscribers will never hear of it.
SELECT 'OUTBOUND_EVENT_MISSING', f.event_id, NULL, f.payout_id,
       'no outbound event ' || f.source_key || ', though the projector passed ' || f.source || ' row ' || f.source_pk
       || ' (watermark ' || f.watermark || ')'
FROM outbound_passed_facts f
WHERE NOT EXISTS (SELECT 1 FROM outbound_events oe WHERE oe.source_key = f.source_key)
UNION ALL
-- A delivery whose status its attempt log contradicts: delivered without a delivered attempt (or
-- without delivered_at), failed before its attempt limit or without any attempt, or a log with an
-- attempt numbered above the delivery's count (an attempt is counted when claimed, before it is sent).
SELECT 'OUTBOUND_DELIVERY_INCONSISTENT', NULL, NULL, NULL,
       'delivery ' || d.id || ' (' || d.webhook_id || ') is ' || d.status || ' after ' || d.attempts || ' of ' || d.attempt_limit
       || ' attempts; its log holds ' || COALESCE(a.logged, 0) || ' attempts, ' || COALESCE(a.delivered, 0) || ' delivered, the last numbered '
       || COALESCE(a.last_attempt::text, '(none)')
FROM outbound_deliveries d
LEFT JOIN outbound_attempt_log a ON a.delivery_id = d.id
WHERE (d.status = 'delivered' AND (d.delivered_at IS NULL OR COALESCE(a.delivered, 0) = 0))
   OR (d.status = 'failed' AND (d.attempts < d.attempt_limit OR COALESCE(a.logged, 0) = 0))
   OR a.last_attempt > d.attempts
ORDER BY 1, 2, 3, 4, 5;


-- name: q5_restaurants_in_deficit
-- Q5: restaurants whose available balance in $1 at $2 is below zero: the deficit (what each owes,
-- positive) and since when. The available balance moves when an entry becomes available (its
-- available_at, never before its occurred_at), so it is a running sum (window function) of the
-- entries grouped by available_at; `since` is the latest step whose running sum is negative after
-- one that was not (LAG). Keyset-paged by restaurant id like Q1.
--   $1 currency   $2 as_of (timestamptz)   $3 after_restaurant_id   $4 row_limit
WITH steps AS (
  SELECT restaurant_id, available_at AS at, SUM(amount_minor) AS delta
  FROM ledger_entries
  WHERE currency = $1 AND occurred_at <= $2 AND available_at <= $2 AND restaurant_id > $3
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
WHERE latest = 1 AND deficit > 0 AND deficit <= 9007199254740991
ORDER BY restaurant_id
LIMIT $4;
