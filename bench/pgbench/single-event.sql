-- One new charge per transaction, as POST /v1/processor/events writes it today: ingestEvent's
-- single-statement path, packages/core/sql/event.repository.sql recordPlannedEvent, and nothing
-- else: one round trip, no BEGIN/COMMIT (the statement, data-modifying CTEs and all, is its own
-- transaction), prepared once per connection as the service prepares it (run it with -M prepared).
-- The text is the service's, each bound parameter replaced by a pgbench variable: the constants
-- (event_type, currency, amount, fee, occurred_at, maturity_days, and the three entry arrays in
-- node-postgres' array text) come from the harness with -D; the values that differ per event
-- (restaurant_id, event_id, metadata, raw_payload) are built from numeric variables with || in place
-- of their parameter, a few string operations per event more than the service's statement (a cost
-- of the ceiling, so in the service's favour, and microseconds). The 50 restaurants exist before
-- the run, so `known` finds the restaurant and `registered` inserts none, as for a restaurant's
-- every event but its first. Variables: tag (a number unique to each pgbench invocation on the
-- database), seq (starts at 0; each client counts its own events), and the constants above.
-- snapshots: event.repository.sql@1c176619c5ea
\set seq :seq + 1
\set r random(1, 50)
/* prepared */
    WITH known AS (
      SELECT maturity_days FROM restaurants WHERE id = ('res_pgb_' || :r::text)
    ), registered AS (
      INSERT INTO restaurants (id, name, maturity_days)
      SELECT ('res_pgb_' || :r::text)::text, NULL, :maturity_days::int
       WHERE NOT EXISTS (SELECT FROM known)
         AND NOT EXISTS (SELECT FROM processor_events WHERE event_id = ('pgb_' || :tag::text || '_' || :client_id::text || '_' || :seq::text))
      ON CONFLICT (id) DO NOTHING
      RETURNING maturity_days
    ), restaurant AS (
      SELECT maturity_days FROM known UNION ALL SELECT maturity_days FROM registered
    ), inserted AS (
      INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, metadata, raw_payload)
      SELECT ('pgb_' || :tag::text || '_' || :client_id::text || '_' || :seq::text)::text, :event_type::text, ('res_pgb_' || :r::text)::text, :currency::text, :amount::bigint,
             :fee::bigint, :occurred_at::timestamptz, ('{"reservation_id":"rsv_' || :seq::text || '","payment_id":"pay_' || :seq::text || '"}')::jsonb,
             ('{"event_id":"' || ('pgb_' || :tag::text || '_' || :client_id::text || '_' || :seq::text) || '","event_type":"' || :event_type::text || '","occurred_at":"' || :occurred_at::text || '","restaurant_id":"' || ('res_pgb_' || :r::text) || '","currency":"' || :currency::text || '","amount":' || :amount::text || ',"fee":' || :fee::text || ',"metadata":' || ('{"reservation_id":"rsv_' || :seq::text || '","payment_id":"pay_' || :seq::text || '"}') || '}')::jsonb
        FROM restaurant
      ON CONFLICT (event_id) DO NOTHING
      RETURNING id, event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, received_at
    ), entries AS (
      INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT e.id, e.restaurant_id, e.currency, p.entry_type, p.amount_minor, e.occurred_at,
             e.occurred_at + make_interval(hours => CASE WHEN p.after_window THEN r.maturity_days * 24 ELSE 0 END)
        FROM inserted e
        CROSS JOIN restaurant r
        CROSS JOIN unnest(:entry_types::text[], :entry_amounts::bigint[],
                          :entry_after_window::boolean[])
                   WITH ORDINALITY AS p(entry_type, amount_minor, after_window, ordinal)
       ORDER BY p.ordinal
      RETURNING id, entry_type, amount_minor, occurred_at, available_at
    )
    SELECT EXISTS (SELECT FROM restaurant) AS restaurant_seen,
           CASE WHEN EXISTS (SELECT FROM registered) AND NOT EXISTS (SELECT FROM inserted)
                THEN ledger_fail_for_retry('restaurant registered for an event_id recorded concurrently with other content')
           END AS retry,
           e.id, e.event_id, e.event_type, e.restaurant_id, e.currency, e.amount_minor, e.fee_minor, e.occurred_at, e.received_at,
           le.id AS entry_id, le.entry_type, le.amount_minor AS entry_amount_minor, le.occurred_at AS entry_occurred_at,
           le.available_at AS entry_available_at
      FROM (SELECT) AS one
      LEFT JOIN inserted e ON true
      LEFT JOIN entries le ON true
     ORDER BY le.id;
