import { type Kysely, sql } from 'kysely';

/**
 * Where each outbound projector source began (docs/outbound-events.md, docs/reports.md): the
 * integrity report (Q4, OUTBOUND_EVENT_MISSING) checks that every source row in
 * (projected_from, watermark] that gives a fact has its outbound event. Rows at or below
 * projected_from are history from before outbound events existed (migration 2025-12-11T0100 starts
 * each watermark at its table's maximum), never projected, on purpose.
 *
 * An install that already ran 2025-12-11T0100 starts the check at today's watermark: what was
 * projected before this migration is not checked (its first watermark was not recorded). A new
 * install starts it where 2025-12-11T0100 put the watermark, so every projected row is checked.
 *
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE outbound_projector_state ADD COLUMN projected_from BIGINT`.execute(db);
  await sql`UPDATE outbound_projector_state SET projected_from = watermark`.execute(db);
  await sql`ALTER TABLE outbound_projector_state ALTER COLUMN projected_from SET NOT NULL`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE outbound_projector_state DROP COLUMN projected_from`.execute(db);
}
