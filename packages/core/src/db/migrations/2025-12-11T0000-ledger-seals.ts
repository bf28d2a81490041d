import { type Kysely, sql } from 'kysely';

/**
 * Ledger seals: the ledger's entries, in id order, sealed in blocks of a SHA-256 hash chain
 * (docs/adr/0009-ledger-seals.md, docs/tamper-evidence.md).
 *
 * Block n covers every entry with prior_last_entry_id < id <= last_entry_id (ids a rolled-back
 * insert drew are simply absent); its hash is SHA-256 over the previous block's hash and the
 * canonical text of the block's header and entries. The sealer writes a block only up to the
 * ledger's watermark (ADR 0006), so no entry can commit inside a sealed range afterwards.
 *
 * The table keeps the chain single and linked, whoever writes: block 1 follows the genesis (32 zero
 * bytes, entry 0); block n > 1 names block n - 1 with that block's hash and last entry id (a foreign
 * key), so two sealers cannot write two blocks n, nor a block that skips or forks. Insert-only: the
 * triggers refuse UPDATE, DELETE and TRUNCATE (what a superuser can still do around them is what
 * the verify route detects). Frozen in time: this file never imports application code.
 */
const GENESIS_HASH = `'\\x${'00'.repeat(32)}'::bytea`;

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE ledger_seals (
      block_number        BIGINT PRIMARY KEY CONSTRAINT ledger_seals_block_positive CHECK (block_number > 0),
      prior_block         BIGINT,
      prior_hash          BYTEA NOT NULL,
      prior_last_entry_id BIGINT NOT NULL,
      first_entry_id      BIGINT NOT NULL,
      last_entry_id       BIGINT NOT NULL,
      entry_count         INTEGER NOT NULL CONSTRAINT ledger_seals_not_empty CHECK (entry_count > 0),
      hash                BYTEA NOT NULL CONSTRAINT ledger_seals_hash_sha256 CHECK (octet_length(hash) = 32),
      sealed_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT ledger_seals_link CHECK (
        (block_number = 1 AND prior_block IS NULL AND prior_last_entry_id = 0 AND prior_hash = ${sql.raw(GENESIS_HASH)})
        OR (block_number > 1 AND prior_block = block_number - 1)),
      CONSTRAINT ledger_seals_range CHECK (
        prior_last_entry_id < first_entry_id AND first_entry_id <= last_entry_id
        AND entry_count <= last_entry_id - prior_last_entry_id),
      CONSTRAINT ledger_seals_key UNIQUE (block_number, hash, last_entry_id),
      CONSTRAINT ledger_seals_follows FOREIGN KEY (prior_block, prior_hash, prior_last_entry_id)
        REFERENCES ledger_seals (block_number, hash, last_entry_id)
    )`.execute(db);
  await sql`
    CREATE TRIGGER ledger_seals_append_only BEFORE UPDATE OR DELETE ON ledger_seals
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    CREATE TRIGGER ledger_seals_no_truncate BEFORE TRUNCATE ON ledger_seals
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE ledger_seals`.execute(db);
}
