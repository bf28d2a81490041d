import { type Kysely, sql } from 'kysely';

/**
 * A payout run counts the restaurants it skips because their amount (or one of its items) is beyond
 * 2^53-1 minor units: each event's amount is bounded, their sum is not, and one such restaurant must
 * not stop the run for everyone else. Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payout_runs ADD COLUMN skipped_amount_out_of_range INTEGER NOT NULL DEFAULT 0`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payout_runs DROP COLUMN skipped_amount_out_of_range`.execute(db);
}
