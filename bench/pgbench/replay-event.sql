-- A replay of a known charge per transaction, as POST /v1/processor/events answers it today with
-- 200 "idempotent": the statements of ingestEvent and replayOf, in order, one round trip each
-- (restaurant.repository.sql registerRestaurant; event.repository.sql insertEventIfNew, which
-- meets the UNIQUE event_id and returns no row, then findEventWithComparison;
-- ledger-entry.repository.sql listEventEntries). The harness stores events pgr_1 … pgr_<known>
-- with exactly this content before the run.
-- Variables: known (how many known events).
-- snapshots: restaurant.repository.sql@f1e5a991d126 event.repository.sql@97f75eb83514 ledger-entry.repository.sql@054b7acef53a
\set k random(1, :known)
\set r :k % 50 + 1
BEGIN;
insert into "restaurants" ("id", "name", "maturity_days") values ('res_pgb_' || :r::text, NULL, 7) on conflict ("id") do nothing returning "id", "maturity_days";
select "id", "maturity_days" from "restaurants" where "id" in ('res_pgb_' || :r::text);
insert into "processor_events" ("event_id", "event_type", "restaurant_id", "currency", "amount_minor", "fee_minor", "occurred_at", "metadata", "raw_payload")
  values ('pgr_' || :k::text, 'charge_succeeded', 'res_pgb_' || :r::text, 'PEN', 12000, 600, '2025-12-20T15:10:00Z',
    ('{"reservation_id":"rsv_' || :k::text || '","payment_id":"pay_' || :k::text || '"}')::jsonb,
    ('{"event_id":"pgr_' || :k::text || '","event_type":"charge_succeeded","occurred_at":"2025-12-20T15:10:00Z","restaurant_id":"res_pgb_' || :r::text || '","currency":"PEN","amount":12000,"fee":600,"metadata":{"reservation_id":"rsv_' || :k::text || '","payment_id":"pay_' || :k::text || '"}}')::jsonb)
  on conflict ("event_id") do nothing
  returning "id", "event_id", "event_type", "restaurant_id", "currency", "amount_minor", "fee_minor", "occurred_at", "received_at";
SELECT pe.id, pe.event_id, pe.event_type, pe.restaurant_id, pe.currency, pe.amount_minor, pe.fee_minor,
       pe.occurred_at, pe.received_at,
       pe.event_type = v.event_type AS same_event_type,
       pe.restaurant_id = v.restaurant_id AS same_restaurant_id,
       pe.currency = v.currency AS same_currency,
       pe.amount_minor = v.amount AS same_amount,
       pe.fee_minor = v.fee AS same_fee,
       pe.occurred_at = v.occurred_at AS same_occurred_at,
       pe.metadata = v.metadata AS same_metadata
  FROM jsonb_to_recordset(('[{"event_id":"pgr_' || :k::text || '","event_type":"charge_succeeded","restaurant_id":"res_pgb_' || :r::text || '","currency":"PEN","amount":12000,"fee":600,"occurred_at":"2025-12-20T15:10:00Z","metadata":{"reservation_id":"rsv_' || :k::text || '","payment_id":"pay_' || :k::text || '"}}]')::jsonb) AS v(
         event_id text, event_type text, restaurant_id text, currency text,
         amount bigint, fee bigint, occurred_at timestamptz, metadata jsonb)
  JOIN processor_events pe ON pe.event_id = v.event_id \gset cmp_
select "id", "entry_type", "amount_minor", "occurred_at", "available_at", "processor_event_id" from "ledger_entries" where "processor_event_id" in (:cmp_id) order by "processor_event_id", "id";
COMMIT;
