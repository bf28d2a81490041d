-- A replay of a known charge per transaction, as POST /v1/processor/events answers it today with
-- 200 "idempotent": ingestEvent sends recordPlannedEvent (which meets the stored event_id, inserts
-- nothing and returns one row without an event), then replayOf sends findEventWithEntries (the
-- event compared field by field, with its entries): packages/core/sql/event.repository.sql, two
-- round trips, no BEGIN/COMMIT, both prepared once per connection as the service prepares them
-- (run it with -M prepared). The texts are the service's, each bound parameter replaced by a pgbench
-- variable (constants from the harness with -D; restaurant_id, event_id, metadata and raw_payload
-- built with || from numeric variables, as in single-event.sql). The harness stores events
-- pgr_1 … pgr_<known> with exactly this content, and their entries, before the run. Variables:
-- known (how many known events), and the constants of single-event.sql.
-- snapshots: event.repository.sql@1c176619c5ea
\set k random(1, :known)
\set r :k % 50 + 1
/* prepared */
    WITH known AS (
      SELECT maturity_days FROM restaurants WHERE id = ('res_pgb_' || :r::text)
    ), registered AS (
      INSERT INTO restaurants (id, name, maturity_days)
      SELECT ('res_pgb_' || :r::text)::text, NULL, :maturity_days::int
       WHERE NOT EXISTS (SELECT FROM known)
         AND NOT EXISTS (SELECT FROM processor_events WHERE event_id = ('pgr_' || :k::text))
      ON CONFLICT (id) DO NOTHING
      RETURNING maturity_days
    ), restaurant AS (
      SELECT maturity_days FROM known UNION ALL SELECT maturity_days FROM registered
    ), inserted AS (
      INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, metadata, raw_payload)
      SELECT ('pgr_' || :k::text)::text, :event_type::text, ('res_pgb_' || :r::text)::text, :currency::text, :amount::bigint,
             :fee::bigint, :occurred_at::timestamptz, ('{"reservation_id":"rsv_' || :k::text || '","payment_id":"pay_' || :k::text || '"}')::jsonb,
             ('{"event_id":"' || ('pgr_' || :k::text) || '","event_type":"' || :event_type::text || '","occurred_at":"' || :occurred_at::text || '","restaurant_id":"' || ('res_pgb_' || :r::text) || '","currency":"' || :currency::text || '","amount":' || :amount::text || ',"fee":' || :fee::text || ',"metadata":' || ('{"reservation_id":"rsv_' || :k::text || '","payment_id":"pay_' || :k::text || '"}') || '}')::jsonb
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
/* prepared */
    SELECT pe.id, pe.event_id, pe.event_type, pe.restaurant_id, pe.currency, pe.amount_minor, pe.fee_minor,
           pe.occurred_at, pe.received_at,
           pe.event_type = :event_type::text AS same_event_type,
           pe.restaurant_id = ('res_pgb_' || :r::text)::text AS same_restaurant_id,
           pe.currency = :currency::text AS same_currency,
           pe.amount_minor = :amount::bigint AS same_amount,
           pe.fee_minor = :fee::bigint AS same_fee,
           pe.occurred_at = :occurred_at::timestamptz AS same_occurred_at,
           pe.metadata = ('{"reservation_id":"rsv_' || :k::text || '","payment_id":"pay_' || :k::text || '"}')::jsonb AS same_metadata,
           le.id AS entry_id, le.entry_type, le.amount_minor AS entry_amount_minor, le.occurred_at AS entry_occurred_at,
           le.available_at AS entry_available_at
      FROM processor_events pe
      LEFT JOIN ledger_entries le ON le.processor_event_id = pe.id
     WHERE pe.event_id = ('pgr_' || :k::text)
     ORDER BY le.id;
