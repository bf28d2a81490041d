-- One new charge per transaction, as POST /v1/processor/events writes it today: the statements of
-- ingestEvent, in its order, one round trip each (packages/core/sql/restaurant.repository.sql
-- registerRestaurant, event.repository.sql insertEventIfNew, ledger-entry.repository.sql
-- insertEventEntries). The 50 restaurants exist before the run, so registerRestaurant's insert
-- meets a conflict and its read follows, as for a restaurant's every event but its first.
-- Variables: tag (a number unique to each pgbench invocation on the database), seq (starts at 0; each client counts its own events).
-- snapshots: restaurant.repository.sql@f1e5a991d126 event.repository.sql@97f75eb83514 ledger-entry.repository.sql@054b7acef53a
\set seq :seq + 1
\set r random(1, 50)
BEGIN;
insert into "restaurants" ("id", "name", "maturity_days") values ('res_pgb_' || :r::text, NULL, 7) on conflict ("id") do nothing returning "id", "maturity_days";
select "id", "maturity_days" from "restaurants" where "id" in ('res_pgb_' || :r::text);
insert into "processor_events" ("event_id", "event_type", "restaurant_id", "currency", "amount_minor", "fee_minor", "occurred_at", "metadata", "raw_payload")
  values ('pgb_' || :tag::text || '_' || :client_id::text || '_' || :seq::text, 'charge_succeeded', 'res_pgb_' || :r::text, 'PEN', 12000, 600, '2025-12-20T15:10:00Z',
    ('{"reservation_id":"rsv_' || :seq::text || '","payment_id":"pay_' || :seq::text || '"}')::jsonb,
    ('{"event_id":"pgb_' || :tag::text || '_' || :client_id::text || '_' || :seq::text || '","event_type":"charge_succeeded","occurred_at":"2025-12-20T15:10:00Z","restaurant_id":"res_pgb_' || :r::text || '","currency":"PEN","amount":12000,"fee":600,"metadata":{"reservation_id":"rsv_' || :seq::text || '","payment_id":"pay_' || :seq::text || '"}}')::jsonb)
  on conflict ("event_id") do nothing
  returning "id", "event_id", "event_type", "restaurant_id", "currency", "amount_minor", "fee_minor", "occurred_at", "received_at" \gset ev_
insert into "ledger_entries" ("processor_event_id", "restaurant_id", "currency", "entry_type", "amount_minor", "occurred_at", "available_at")
  values (:ev_id, 'res_pgb_' || :r::text, 'PEN', 'sale', 12000, '2025-12-20T15:10:00Z', '2025-12-20T15:10:00Z'::timestamptz + make_interval(hours => 168)),
         (:ev_id, 'res_pgb_' || :r::text, 'PEN', 'fee', -600, '2025-12-20T15:10:00Z', '2025-12-20T15:10:00Z'::timestamptz + make_interval(hours => 168))
  returning "id", "entry_type", "amount_minor", "occurred_at", "available_at", "processor_event_id";
COMMIT;
