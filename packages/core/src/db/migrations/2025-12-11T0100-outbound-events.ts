import { type Kysely, sql } from 'kysely';

/**
 * Outbound events for consuming services (docs/outbound-events.md, docs/adr/0010-outbound-events.md).
 *
 * - `outbound_subscriptions`: where to send (URL, Standard Webhooks secret, event types).
 * - `outbound_events`: the outbox, derived from the durable ledger by the projector: one row per
 *   source fact, UNIQUE by `source_key`, so projecting a source row again changes nothing.
 * - `outbound_deliveries`: one per (event, subscription), UNIQUE; its `webhook_id` is fixed at
 *   creation and every attempt and replay sends it.
 * - `outbound_delivery_attempts`: the delivery log, one row per attempt, never edited.
 * - `outbound_projector_state`: per source table, the id below which every row has been projected.
 *
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE outbound_subscriptions (
      id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      url          TEXT NOT NULL CONSTRAINT outbound_subscriptions_url_http CHECK (url ~ '^https?://' AND length(url) <= 2048),
      secret       TEXT NOT NULL CONSTRAINT outbound_subscriptions_secret_format CHECK (secret ~ '^whsec_[A-Za-z0-9+/=]+$'),
      -- Empty: every event type.
      event_types  TEXT[] NOT NULL DEFAULT '{}',
      description  TEXT CONSTRAINT outbound_subscriptions_description_length CHECK (length(description) <= 500),
      status       TEXT NOT NULL DEFAULT 'active' CONSTRAINT outbound_subscriptions_status CHECK (status IN ('active', 'disabled')),
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TABLE outbound_events (
      id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_type   TEXT NOT NULL,
      source_key   TEXT NOT NULL CONSTRAINT outbound_events_source_once UNIQUE,
      payload      JSONB NOT NULL CONSTRAINT outbound_events_payload_object CHECK (jsonb_typeof(payload) = 'object'),
      occurred_at  TIMESTAMPTZ NOT NULL,
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`
    CREATE TRIGGER outbound_events_append_only BEFORE UPDATE OR DELETE ON outbound_events
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    CREATE TABLE outbound_deliveries (
      id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id         BIGINT NOT NULL REFERENCES outbound_events (id) ON DELETE RESTRICT,
      subscription_id  BIGINT NOT NULL REFERENCES outbound_subscriptions (id) ON DELETE RESTRICT,
      webhook_id       TEXT NOT NULL CONSTRAINT outbound_deliveries_webhook_id_once UNIQUE,
      status           TEXT NOT NULL DEFAULT 'pending'
                       CONSTRAINT outbound_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
      attempts         INTEGER NOT NULL DEFAULT 0 CONSTRAINT outbound_deliveries_attempts CHECK (attempts >= 0),
      -- A replay raises it: attempts may go on while attempts < attempt_limit.
      attempt_limit    INTEGER NOT NULL CONSTRAINT outbound_deliveries_attempt_limit CHECK (attempt_limit > 0),
      next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
      lease_owner      TEXT,
      lease_expires_at TIMESTAMPTZ,
      last_status_code INTEGER,
      last_error       TEXT,
      delivered_at     TIMESTAMPTZ,
      created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT outbound_deliveries_once UNIQUE (event_id, subscription_id)
    )`.execute(db);
  // The deliverer's claim: due pending deliveries, oldest first.
  await sql`CREATE INDEX outbound_deliveries_due_idx ON outbound_deliveries (next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX outbound_deliveries_subscription_idx ON outbound_deliveries (subscription_id, id)`.execute(db);
  await sql`
    CREATE TABLE outbound_delivery_attempts (
      id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      delivery_id      BIGINT NOT NULL REFERENCES outbound_deliveries (id) ON DELETE RESTRICT,
      attempt          INTEGER NOT NULL CONSTRAINT outbound_delivery_attempts_attempt CHECK (attempt > 0),
      started_at       TIMESTAMPTZ NOT NULL,
      duration_ms      INTEGER NOT NULL CONSTRAINT outbound_delivery_attempts_duration CHECK (duration_ms >= 0),
      status_code      INTEGER,
      outcome          TEXT NOT NULL CONSTRAINT outbound_delivery_attempts_outcome
                       CHECK (outcome IN ('delivered', 'http_error', 'timeout', 'network_error', 'refused_address', 'interrupted')),
      error            TEXT CONSTRAINT outbound_delivery_attempts_error_length CHECK (length(error) <= 1000),
      response_excerpt TEXT CONSTRAINT outbound_delivery_attempts_excerpt_length CHECK (length(response_excerpt) <= 1000),
      CONSTRAINT outbound_delivery_attempts_once UNIQUE (delivery_id, attempt)
    )`.execute(db);
  await sql`
    CREATE TRIGGER outbound_delivery_attempts_append_only BEFORE UPDATE OR DELETE ON outbound_delivery_attempts
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    CREATE TABLE outbound_projector_state (
      source           TEXT PRIMARY KEY,
      -- Every row of the source with id <= watermark has been projected.
      watermark        BIGINT NOT NULL DEFAULT 0,
      -- The source sequence's last value, read at candidate_at: it becomes the watermark once every
      -- transaction running now started after candidate_at (so none of them can hold a lower id).
      candidate        BIGINT,
      candidate_at     TIMESTAMPTZ
    )`.execute(db);
  // The ledger so far is history, not news: a new install's subscribers get events from now on.
  await sql`
    INSERT INTO outbound_projector_state (source, watermark)
    SELECT 'processor_events', COALESCE(MAX(id), 0) FROM processor_events
    UNION ALL SELECT 'payouts', COALESCE(MAX(id), 0) FROM payouts
    UNION ALL SELECT 'reconciliations', COALESCE(MAX(id), 0) FROM reconciliations`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE outbound_projector_state`.execute(db);
  await sql`DROP TABLE outbound_delivery_attempts`.execute(db);
  await sql`DROP TABLE outbound_deliveries`.execute(db);
  await sql`DROP TABLE outbound_events`.execute(db);
  await sql`DROP TABLE outbound_subscriptions`.execute(db);
}
