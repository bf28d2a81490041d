import { type RawBuilder, sql } from 'kysely';
import type { LedgerDb } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';

/**
 * The ledger's hash chain in SQL (migration 2025-12-11T0000, docs/tamper-evidence.md).
 *
 * Canonical form, version 1. A block's hash is SHA-256 over the bytes of
 *   the prior block's hash (32 bytes; 32 zero bytes before block 1), then, in UTF-8,
 *   one line per entry in id order:
 *     id|<n>:restaurant_id|<n>:currency|<n>:entry_type|amount_minor|occurred_at|available_at|processor_event_id|payout_id|created_at\n
 *   (<n> the text's length in UTF-8 bytes, so no text can pass for a separator; times in epoch
 *   microseconds; an absent id is the empty string), then the trailer
 *     ledger-seal-v1 block <n> after <prior last entry id> first <id> last <id> count <n>\n
 * The trailer comes last so a reader can hash a block's entries as they stream in.
 * The verify route recomputes this in Node (ledger-seal-verify.ts), from the columns as text.
 */

/** The hash block 1 follows. */
export const GENESIS_HASH = new Uint8Array(32);

const epochMicros = (column: RawBuilder<unknown>) => sql`trunc(extract(epoch FROM ${column}) * 1000000)::text`;
const sized = (column: RawBuilder<unknown>) => sql`octet_length(${column}) || ':' || ${column}`;

/** The canonical line of the ledger entry `le` (version 1). */
export const SEAL_LINE = sql`le.id::text || '|' || ${sized(sql`le.restaurant_id`)} || '|' || ${sized(sql`le.currency`)} || '|' ||
      ${sized(sql`le.entry_type`)} || '|' || le.amount_minor::text || '|' || ${epochMicros(sql`le.occurred_at`)} || '|' ||
      ${epochMicros(sql`le.available_at`)} || '|' || COALESCE(le.processor_event_id::text, '') || '|' || COALESCE(le.payout_id::text, '') || '|' ||
      ${epochMicros(sql`le.created_at`)} || E'\\n'`;

/** The block's trailer (version 1) from SQL expressions. */
export function sealTrailer(block: RawBuilder<unknown>, after: RawBuilder<unknown>, first: RawBuilder<unknown>, last: RawBuilder<unknown>, count: RawBuilder<unknown>) {
  return sql`'ledger-seal-v1 block ' || ${block} || ' after ' || ${after} || ' first ' || ${first} || ' last ' || ${last} || ' count ' || ${count} || E'\\n'`;
}

export interface SealRow {
  block_number: Int8Value;
  prior_block: Int8Value | null;
  prior_hash: Uint8Array;
  prior_last_entry_id: Int8Value;
  first_entry_id: Int8Value;
  last_entry_id: Int8Value;
  entry_count: number;
  hash: Uint8Array;
  sealed_at: Date;
}

const SEAL_COLUMNS = sql`block_number, prior_block, prior_hash, prior_last_entry_id, first_entry_id, last_entry_id, entry_count, hash, sealed_at`;

/** The advisory lock one sealer at a time holds (session level, so it spans the watermark and the blocks). */
const SEALER_LOCK_KEY = 1279608904;

/** Takes the sealer's lock if no other session holds it. Release it with unlockSealer on the same connection. */
export async function tryLockSealer(connection: LedgerDb): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${SEALER_LOCK_KEY}::bigint) AS locked`.execute(connection);
  return rows[0]?.locked === true;
}

export async function unlockSealer(connection: LedgerDb): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${SEALER_LOCK_KEY}::bigint)`.execute(connection);
}

/** The sealed frontier (0 before the first block) and the last entry id the sequence drew. */
export async function sealingPosition(db: LedgerDb): Promise<{ sealed_through: Int8Value; last_drawn: Int8Value }> {
  const { rows } = await sql<{ sealed_through: Int8Value; last_drawn: Int8Value }>`
    SELECT COALESCE((SELECT last_entry_id FROM ledger_seals ORDER BY block_number DESC LIMIT 1), 0) AS sealed_through,
      COALESCE(pg_sequence_last_value('ledger_entries_id_seq'), 0) AS last_drawn`.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('sealingPosition returned no row');
  return row;
}

export interface SealedBlock {
  block_number: Int8Value;
  first_entry_id: Int8Value;
  last_entry_id: Int8Value;
  entry_count: number;
}

/**
 * Seals the next block: up to `blockSize` entries after the latest block, none above `watermark`
 * (an id up to which every insert has ended: settledSequenceValue). One statement, so the block reads
 * one snapshot; a concurrent sealer that wrote the same block number first makes it fail on the
 * primary key (23505). Returns undefined when no entry waits below the watermark.
 */
export async function sealNextBlock(db: LedgerDb, watermark: string, blockSize: number): Promise<SealedBlock | undefined> {
  const { rows } = await sql<SealedBlock>`
    WITH prior AS (
      SELECT block_number, hash, last_entry_id FROM ledger_seals ORDER BY block_number DESC LIMIT 1
    ), head AS (
      SELECT COALESCE((SELECT block_number FROM prior), 0) AS block_number,
        COALESCE((SELECT hash FROM prior), ${GENESIS_HASH}::bytea) AS hash,
        COALESCE((SELECT last_entry_id FROM prior), 0) AS last_entry_id
    ), block AS (
      SELECT le.id, ${SEAL_LINE} AS line
      FROM ledger_entries le
      WHERE le.id > (SELECT last_entry_id FROM head) AND le.id <= ${watermark}::bigint
      ORDER BY le.id
      LIMIT ${blockSize}
    ), summary AS (
      SELECT MIN(id) AS first_id, MAX(id) AS last_id, COUNT(*) AS n, string_agg(line, '' ORDER BY id) AS lines FROM block
    )
    INSERT INTO ledger_seals (block_number, prior_block, prior_hash, prior_last_entry_id, first_entry_id, last_entry_id, entry_count, hash)
    SELECT h.block_number + 1, NULLIF(h.block_number, 0), h.hash, h.last_entry_id, s.first_id, s.last_id, s.n,
      sha256(h.hash || convert_to(s.lines || ${sealTrailer(sql`(h.block_number + 1)`, sql`h.last_entry_id`, sql`s.first_id`, sql`s.last_id`, sql`s.n`)}, 'UTF8'))
    FROM head h, summary s
    WHERE s.n > 0
    RETURNING block_number, first_entry_id, last_entry_id, entry_count`.execute(db);
  return rows[0];
}

/** Seals in block order from `fromBlock` through `toBlock`, at most `limit`. */
export async function findSeals(db: LedgerDb, fromBlock: number, toBlock: number, limit: number): Promise<SealRow[]> {
  const { rows } = await sql<SealRow>`
    SELECT ${SEAL_COLUMNS} FROM ledger_seals
    WHERE block_number >= ${fromBlock} AND block_number <= ${toBlock}
    ORDER BY block_number
    LIMIT ${limit}`.execute(db);
  return rows;
}

/** The latest block's number (0 when nothing is sealed). */
export async function lastBlockNumber(db: LedgerDb): Promise<Int8Value> {
  const { rows } = await sql<{ block_number: Int8Value }>`
    SELECT COALESCE(MAX(block_number), 0) AS block_number FROM ledger_seals`.execute(db);
  return rows[0]?.block_number ?? 0;
}

/** An entry's columns as text, exactly as stored (times in UTC with microseconds), for the verify's own serialisation. */
export interface EntryTextRow {
  id: string;
  restaurant_id: string;
  currency: string;
  entry_type: string;
  amount_minor: string;
  occurred_at: string | null;
  available_at: string | null;
  processor_event_id: string | null;
  payout_id: string | null;
  created_at: string | null;
}

const utcText = (column: RawBuilder<unknown>) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;

/** The entries with afterId < id <= throughId in id order, at most `limit`, their columns as text. */
export async function findEntriesAsText(db: LedgerDb, afterId: string, throughId: string, limit: number): Promise<EntryTextRow[]> {
  const { rows } = await sql<EntryTextRow>`
    SELECT le.id::text AS id, le.restaurant_id, le.currency, le.entry_type, le.amount_minor::text AS amount_minor,
      ${utcText(sql`le.occurred_at`)} AS occurred_at, ${utcText(sql`le.available_at`)} AS available_at,
      le.processor_event_id::text AS processor_event_id, le.payout_id::text AS payout_id, ${utcText(sql`le.created_at`)} AS created_at
    FROM ledger_entries le
    WHERE le.id > ${afterId}::bigint AND le.id <= ${throughId}::bigint
    ORDER BY le.id
    LIMIT ${limit}`.execute(db);
  return rows;
}

/** Entries above the sealed frontier, and how long the oldest of them has waited (database clock). */
export async function unsealedEntries(db: LedgerDb, sealedThrough: string): Promise<{ count: Int8Value; oldest_age_seconds: string | number | null }> {
  const { rows } = await sql<{ count: Int8Value; oldest_age_seconds: string | number | null }>`
    SELECT COUNT(*) AS count,
      round(extract(epoch FROM now() - (SELECT created_at FROM ledger_entries WHERE id > ${sealedThrough}::bigint ORDER BY id LIMIT 1)), 3) AS oldest_age_seconds
    FROM ledger_entries WHERE id > ${sealedThrough}::bigint`.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('unsealedEntries returned no row');
  return row;
}
