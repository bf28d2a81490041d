-- :size new charges per transaction, as POST /v1/processor/events/batch writes them today
-- (ingestEventBatch): registerRestaurants for all their restaurants (one insert, one read of those
-- that existed), insertEventsIfNew for all the events in event_id order, insertEntriesOfEvents for
-- the entries of the events that came back. Three differences from the service, all in the
-- ceiling's favour: the rows come from generate_series instead of 9 bound parameters per event;
-- the events and their entries are one statement (a data-modifying CTE), because pgbench cannot
-- carry 100 returned ids into the next statement; and the harness runs it -M prepared, where the
-- service sends these statements unprepared. Same rows, same indexes, same ON CONFLICT, same
-- ledger_entries trigger. (Checked against ingestEventBatch after one-statement single-event
-- ingestion landed: the batch path's statements did not change; event.repository.sql only gained
-- recordPlannedEvent and findEventWithEntries.)
-- Variables: tag (a number unique to each pgbench invocation on the database), seq (starts at 0),
-- size (events per transaction).
-- snapshots: restaurant.repository.sql@f1e5a991d126 event.repository.sql@1c176619c5ea ledger-entry.repository.sql@054b7acef53a
\set seq :seq + 1
BEGIN;
insert into "restaurants" ("id", "name", "maturity_days") select 'res_pgb_' || r::text, NULL, 7 from generate_series(1, least(:size, 50)) AS r on conflict ("id") do nothing returning "id", "maturity_days";
select "id", "maturity_days" from "restaurants" where "id" in (select 'res_pgb_' || r::text from generate_series(1, least(:size, 50)) AS r);
with incoming as (
  select 'pgb_' || :tag::text || '_' || :client_id::text || '_' || :seq::text || '_' || lpad(i::text, 4, '0') AS event_id,
         'res_pgb_' || (i % 50 + 1)::text AS restaurant_id, i
    from generate_series(1, :size) AS i
), stored as (
  insert into "processor_events" ("event_id", "event_type", "restaurant_id", "currency", "amount_minor", "fee_minor", "occurred_at", "metadata", "raw_payload")
  select event_id, 'charge_succeeded', restaurant_id, 'PEN', 12000, 600, '2025-12-20T15:10:00Z',
         ('{"reservation_id":"rsv_' || i::text || '","payment_id":"pay_' || i::text || '"}')::jsonb,
         ('{"event_id":"' || event_id || '","event_type":"charge_succeeded","occurred_at":"2025-12-20T15:10:00Z","restaurant_id":"' || restaurant_id || '","currency":"PEN","amount":12000,"fee":600,"metadata":{"reservation_id":"rsv_' || i::text || '","payment_id":"pay_' || i::text || '"}}')::jsonb
    from incoming order by event_id
  on conflict ("event_id") do nothing
  returning "id", "event_id", "event_type", "restaurant_id", "currency", "amount_minor", "fee_minor", "occurred_at", "received_at"
)
insert into "ledger_entries" ("processor_event_id", "restaurant_id", "currency", "entry_type", "amount_minor", "occurred_at", "available_at")
select stored.id, stored.restaurant_id, stored.currency, e.entry_type, e.amount_minor, stored.occurred_at, stored.occurred_at + make_interval(hours => 168)
  from stored cross join lateral (values ('sale', stored.amount_minor), ('fee', -stored.fee_minor)) AS e (entry_type, amount_minor)
returning "id", "entry_type", "amount_minor", "occurred_at", "available_at", "processor_event_id";
COMMIT;
