-- A restaurant's balance, as GET /v1/restaurants/{id}/balance reads it today: getBalance sends
-- packages/core/sql/balance.repository.sql findBalanceCheckpoint, then sumBalance with the latest
-- checkpoint's values when it was cut at or before as_of (the service checks that in JavaScript;
-- here the first statement says so in `usable`), else sumBalanceWithoutCheckpoint: two round trips,
-- no BEGIN/COMMIT, unprepared (run it with -M extended). The texts are the service's, each bound
-- parameter replaced by the pgbench variable of the same value; the first statement is wrapped so
-- that it always returns one row (pgbench's \gset needs one). The harness has the server write the
-- checkpoints of the measured restaurants before measuring either side.
-- Variables: restaurant, currency, as_of (an ISO timestamp: the service passes its clock as a parameter).
-- snapshots: balance.repository.sql@b5a942cb32d0
SELECT COALESCE(latest.through_entry_id, 0) AS through_entry_id, latest.cut_at, latest.total_minor, latest.available_minor,
       (latest.cut_at IS NOT NULL AND latest.cut_at <= :as_of::timestamptz)::int AS usable
  FROM (SELECT) AS one LEFT JOIN (
    SELECT through_entry_id, cut_at, total_minor, available_minor
      FROM balance_checkpoints
      WHERE restaurant_id = :restaurant AND currency = :currency
      ORDER BY through_entry_id DESC
      LIMIT 1
  ) AS latest ON true \gset cp_
\if :cp_usable
WITH sums AS (
    WITH
    base AS (
      SELECT :cp_total_minor::numeric AS total,
             :cp_available_minor::numeric AS available
    )
    SELECT
      base.total + after_cut.total + occurred_late.total AS total,
      base.available + after_cut.available + matured_late.available AS available,
      base.total + after_cut.total + occurred_late.total - (base.available + after_cut.available + matured_late.available) AS pending,
      after_cut.entries + occurred_late.entries + matured_late.entries AS entries_read
    FROM base
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor) FILTER (WHERE le.occurred_at <= :as_of), 0) AS total,
             COALESCE(SUM(le.amount_minor) FILTER (WHERE le.available_at <= :as_of), 0) AS available,
             COUNT(*) AS entries
      FROM ledger_entries le
      WHERE le.restaurant_id = :restaurant AND le.currency = :currency AND le.id > :cp_through_entry_id::bigint
    ) AS after_cut
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS total, COUNT(*) AS entries
      FROM ledger_entries le
      WHERE :cp_through_entry_id::bigint > 0 AND le.restaurant_id = :restaurant AND le.currency = :currency
        AND le.occurred_at > :cp_cut_at::timestamptz AND le.occurred_at <= :as_of AND le.id <= :cp_through_entry_id::bigint
    ) AS occurred_late
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS available, COUNT(*) AS entries
      FROM ledger_entries le
      WHERE :cp_through_entry_id::bigint > 0 AND le.restaurant_id = :restaurant AND le.currency = :currency
        AND le.available_at > :cp_cut_at::timestamptz AND le.available_at <= :as_of AND le.id <= :cp_through_entry_id::bigint
    ) AS matured_late)
    SELECT
      EXISTS (SELECT 1 FROM restaurants WHERE id = :restaurant) AS restaurant_found,
      sums.available, sums.pending, sums.total, sums.entries_read,
      (SELECT MAX(le.occurred_at) FROM ledger_entries le
        WHERE le.restaurant_id = :restaurant AND le.currency = :currency AND le.occurred_at <= :as_of) AS last_event_at
    FROM sums;
\else
WITH sums AS (
    SELECT COALESCE(SUM(amount_minor), 0) AS total,
           COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= :as_of), 0) AS available,
           COALESCE(SUM(amount_minor) FILTER (WHERE available_at > :as_of), 0) AS pending,
           COUNT(*) AS entries_read
    FROM ledger_entries
    WHERE restaurant_id = :restaurant AND currency = :currency AND occurred_at <= :as_of)
    SELECT
      EXISTS (SELECT 1 FROM restaurants WHERE id = :restaurant) AS restaurant_found,
      sums.available, sums.pending, sums.total, sums.entries_read,
      (SELECT MAX(le.occurred_at) FROM ledger_entries le
        WHERE le.restaurant_id = :restaurant AND le.currency = :currency AND le.occurred_at <= :as_of) AS last_event_at
    FROM sums;
\endif
