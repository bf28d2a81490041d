-- A restaurant's balance, as GET /v1/restaurants/{id}/balance reads it today: getBalance sends
-- packages/core/sql/balance.repository.sql sumBalance, one round trip, no BEGIN/COMMIT, unprepared
-- (the pg driver parses it every time: run it with -M extended). Its text is the service's, each of
-- its 17 bound parameters replaced by the pgbench variable with the same value. It starts from the
-- restaurant's latest balance checkpoint cut at or before as_of, like the service: the harness has
-- the server write the checkpoints of the measured restaurants before measuring either side.
-- Variables: restaurant, currency, as_of (an ISO timestamp: the service passes its clock as a parameter).
-- snapshots: balance.repository.sql@6b93e6097774
WITH sums AS (
    WITH checkpoint AS (
      SELECT through_entry_id, cut_at, total_minor, available_minor
      FROM balance_checkpoints
      WHERE restaurant_id = :restaurant AND currency = :currency AND cut_at <= :as_of
      ORDER BY cut_at DESC, through_entry_id DESC
      LIMIT 1
    ),
    base AS (
      SELECT COALESCE((SELECT through_entry_id FROM checkpoint), 0) AS through_id,
             COALESCE((SELECT cut_at FROM checkpoint), '-infinity'::timestamptz) AS cut_at,
             COALESCE((SELECT total_minor FROM checkpoint), 0) AS total,
             COALESCE((SELECT available_minor FROM checkpoint), 0) AS available
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
      WHERE le.restaurant_id = :restaurant AND le.currency = :currency AND le.id > base.through_id
    ) AS after_cut
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS total, COUNT(*) AS entries
      FROM ledger_entries le
      WHERE base.through_id > 0 AND le.restaurant_id = :restaurant AND le.currency = :currency
        AND le.occurred_at > base.cut_at AND le.occurred_at <= :as_of AND le.id <= base.through_id
    ) AS occurred_late
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS available, COUNT(*) AS entries
      FROM ledger_entries le
      WHERE base.through_id > 0 AND le.restaurant_id = :restaurant AND le.currency = :currency
        AND le.available_at > base.cut_at AND le.available_at <= :as_of AND le.id <= base.through_id
    ) AS matured_late)
    SELECT
      EXISTS (SELECT 1 FROM restaurants WHERE id = :restaurant) AS restaurant_found,
      sums.available, sums.pending, sums.total, sums.entries_read,
      (SELECT MAX(le.occurred_at) FROM ledger_entries le
        WHERE le.restaurant_id = :restaurant AND le.currency = :currency AND le.occurred_at <= :as_of) AS last_event_at
    FROM sums;
