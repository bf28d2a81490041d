import { type Kysely, sql } from 'kysely';

/**
 * Disputes (chargebacks): three event types, four entry types, and the `disputes` table, a
 * projection of the dispute events kept in the same transaction as them (every fact in it can be
 * rebuilt from processor_events, and Q4 checks that it agrees). docs/disputes.md states the rules.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  for (const eventType of ['dispute_opened', 'dispute_won', 'dispute_lost']) {
    await sql`SELECT ledger_allow_event_type(${eventType})`.execute(db);
  }
  await sql`SELECT ledger_allow_entry_type('dispute_hold', -1, 'event')`.execute(db);
  await sql`SELECT ledger_allow_entry_type('dispute_fee', -1, 'event')`.execute(db);
  await sql`SELECT ledger_allow_entry_type('dispute_release', 1, 'event')`.execute(db);
  await sql`SELECT ledger_allow_entry_type('chargeback', -1, 'event')`.execute(db);
  await sql`
    CREATE TABLE disputes (
      id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      -- The processor's id (metadata.dispute_id): one dispute, one lifecycle.
      dispute_id       TEXT NOT NULL CONSTRAINT disputes_dispute_id_unique UNIQUE,
      restaurant_id    TEXT NOT NULL REFERENCES restaurants (id) ON DELETE RESTRICT,
      currency         TEXT NOT NULL CONSTRAINT disputes_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
      amount_minor     BIGINT NOT NULL CONSTRAINT disputes_amount_positive CHECK (amount_minor > 0),
      fee_minor        BIGINT NOT NULL CONSTRAINT disputes_fee_not_negative CHECK (fee_minor >= 0),
      status           TEXT NOT NULL CONSTRAINT disputes_status_known CHECK (status IN ('open', 'won', 'lost')),
      -- The charge as the dispute_opened event named it, and the charge event found (NULL: unknown).
      charge_event_id  TEXT NULL,
      payment_id       TEXT NULL,
      charge_pk        BIGINT NULL REFERENCES processor_events (id) ON DELETE RESTRICT,
      charge_found     BOOLEAN NOT NULL,
      opened_event_pk  BIGINT NOT NULL CONSTRAINT disputes_opened_event_unique UNIQUE REFERENCES processor_events (id) ON DELETE RESTRICT,
      closed_event_pk  BIGINT NULL CONSTRAINT disputes_closed_event_unique UNIQUE REFERENCES processor_events (id) ON DELETE RESTRICT,
      opened_at        TIMESTAMPTZ NOT NULL,
      closed_at        TIMESTAMPTZ NULL,
      created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT disputes_charge_found_has_charge CHECK (charge_found = (charge_pk IS NOT NULL)),
      CONSTRAINT disputes_closed_when_not_open CHECK ((status = 'open') = (closed_event_pk IS NULL) AND (closed_event_pk IS NULL) = (closed_at IS NULL))
    )`.execute(db);
  // The disputes of one charge (summed, under the charge's lock, when another is opened), and the listing.
  await sql`CREATE INDEX disputes_charge_idx ON disputes (charge_pk) WHERE charge_pk IS NOT NULL`.execute(db);
  await sql`CREATE INDEX disputes_restaurant_idx ON disputes (restaurant_id, currency, id)`.execute(db);
  // A charge named by payment_id, and the refunds of a charge (matched by payment_id or charge_event_id).
  await sql`
    CREATE INDEX processor_events_payment_id_idx ON processor_events ((metadata ->> 'payment_id'))
      WHERE metadata ->> 'payment_id' IS NOT NULL`.execute(db);
  await sql`
    CREATE INDEX processor_events_charge_event_id_idx ON processor_events ((metadata ->> 'charge_event_id'))
      WHERE metadata ->> 'charge_event_id' IS NOT NULL`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types. The allowed types stay
// (rows of other types may exist only if the disputes were written; dropping them is a manual decision).
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX processor_events_charge_event_id_idx`.execute(db);
  await sql`DROP INDEX processor_events_payment_id_idx`.execute(db);
  await sql`DROP TABLE disputes`.execute(db);
}
