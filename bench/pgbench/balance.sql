-- A restaurant's balance, as GET /v1/restaurants/{id}/balance reads it today
-- (packages/core/sql/balance.repository.sql sumBalance), as of now.
-- Variables: restaurant, as_of (an ISO timestamp: the service passes its clock as a parameter).
-- snapshots: balance.repository.sql@6be8a8642e53
SELECT
      EXISTS (SELECT 1 FROM restaurants WHERE id = :restaurant) AS restaurant_found,
      COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= :as_of::timestamptz), 0) AS available,
      COALESCE(SUM(amount_minor) FILTER (WHERE available_at > :as_of::timestamptz), 0) AS pending,
      COALESCE(SUM(amount_minor), 0) AS total,
      MAX(occurred_at) AS last_event_at
    FROM ledger_entries
    WHERE restaurant_id = :restaurant
      AND currency = 'PEN'
      AND occurred_at <= :as_of::timestamptz;
