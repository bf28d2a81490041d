-- A restaurant's balance, as GET /v1/restaurants/{id}/balance reads it today: getBalance sends
-- packages/core/sql/balance.repository.sql findBalanceCheckpoint, then sumBalance with the latest
-- checkpoint's values when it was cut at or before as_of (the service checks that in JavaScript;
-- here the first statement says so in `usable`), else sumBalanceWithoutCheckpoint: two round trips,
-- no BEGIN/COMMIT, prepared once per connection (run it with -M prepared). The first statement is
-- the service's text wrapped so that it always returns one row (pgbench's \gset needs one); the
-- sums are not copied here: each `-- @statement` block stands for the service's statement as it is
-- in packages/core/sql/ when the script runs, each `-- @$n` line giving the pgbench variable of
-- the value the service binds to $n (harness/pgbench-scripts.ts). The harness has the server write
-- the checkpoints of the measured restaurants before measuring either side.
-- Variables: restaurant, currency, as_of (an ISO timestamp: the service passes its clock as a parameter).
-- snapshots: balance.repository.sql@57f47219a644
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
-- @statement balance.repository.sql sumBalance
-- @$1 :cp_total_minor
-- @$2 :cp_available_minor
-- @$3 :as_of
-- @$4 :as_of
-- @$5 :restaurant
-- @$6 :currency
-- @$7 :cp_through_entry_id
-- @$8 :cp_through_entry_id
-- @$9 :restaurant
-- @$10 :currency
-- @$11 :cp_cut_at
-- @$12 :as_of
-- @$13 :cp_through_entry_id
-- @$14 :cp_through_entry_id
-- @$15 :restaurant
-- @$16 :currency
-- @$17 :cp_cut_at
-- @$18 :as_of
-- @$19 :cp_through_entry_id
-- @$20 :restaurant
-- @$21 :restaurant
-- @$22 :currency
-- @$23 :as_of
-- @$24 :restaurant
-- @$25 :currency
-- @$26 :as_of
-- @$27 :as_of
\else
-- @statement balance.repository.sql sumBalanceWithoutCheckpoint
-- @$1 :as_of
-- @$2 :as_of
-- @$3 :restaurant
-- @$4 :currency
-- @$5 :as_of
-- @$6 :restaurant
-- @$7 :restaurant
-- @$8 :currency
-- @$9 :as_of
-- @$10 :restaurant
-- @$11 :currency
-- @$12 :as_of
-- @$13 :as_of
\endif
