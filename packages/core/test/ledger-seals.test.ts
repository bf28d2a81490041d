import { type RawBuilder, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ingestEvent,
  integrityReport,
  type LedgerContext,
  type LedgerDb,
  requestPayoutRun,
  sealPendingEntries,
  verifyLedgerChain,
  verifyLedgerInputSchema,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, expectLedgerError, fixedClock, refundEvent, type TestDatabase } from './support/index.ts';

const NOW = '2026-02-01T12:00:00Z';

/**
 * The ledger's hash chain (docs/tamper-evidence.md): blocks sealed in id order over the entries
 * that exist, recomputed by the verify from the rows, and every kind of damage a superuser can do
 * around the triggers found at the block where it happened.
 */
let testDb: TestDatabase;
let ctx: LedgerContext;
beforeEach(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock(NOW) });
});
afterEach(() => testDb.close());

/** Charges (two entries each: sale and fee) for a few restaurants, and one refund. */
async function recordCharges(count: number, prefix = 'seal'): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await ingestEvent(
      ctx,
      chargeEvent({ event_id: `${prefix}_${i}`, restaurant_id: `res_${prefix}_${i % 3}`, occurred_at: `2026-01-0${1 + (i % 9)}T10:00:00.12345${i % 10}Z`, amount: 1000 + i, fee: 30 }),
      {},
    );
  }
}

/** A statement run by a superuser around the ledger's triggers (replica mode skips them). */
async function asSuperuser(statement: RawBuilder<unknown>, db: LedgerDb = testDb.db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await statement.execute(trx);
  });
}

/** An id drawn by an insert that rolled back: a permanent gap in the ids. */
async function leaveIdGap(): Promise<void> {
  const rollback = new Error('rollback');
  await testDb.db
    .transaction()
    .execute(async (trx) => {
      await ingestEvent({ ...ctx, db: trx as unknown as LedgerDb }, chargeEvent({ event_id: 'gap', restaurant_id: 'res_gap' }), {});
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
}

async function blocks(): Promise<Array<{ block_number: string; first: string; last: string; count: number; prior_hash: string; hash: string }>> {
  const { rows } = await sql<{ block_number: string; first: string; last: string; count: number; prior_hash: string; hash: string }>`
    SELECT block_number::text, first_entry_id::text AS first, last_entry_id::text AS last, entry_count AS count,
      encode(prior_hash, 'hex') AS prior_hash, encode(hash, 'hex') AS hash
    FROM ledger_seals ORDER BY block_number`.execute(testDb.db);
  return rows;
}

describe('sealing', () => {
  it('seals the entries in id order in blocks of the given size, each naming the hash of the one before', async () => {
    await recordCharges(7);
    const look = await sealPendingEntries(ctx, { blockSize: 5 });
    expect(look.ran).toBe(true);
    expect(look.blocks.map((b) => b.entry_count)).toEqual([5, 5, 4]);
    const sealed = await blocks();
    expect(sealed[0]?.prior_hash).toBe('00'.repeat(32));
    expect(sealed[1]?.prior_hash).toBe(sealed[0]?.hash);
    expect(sealed[2]?.prior_hash).toBe(sealed[1]?.hash);
    expect(look.sealed_through_entry_id).toBe(sealed[2]?.last);
    expect((await sealPendingEntries(ctx, { blockSize: 5 })).blocks).toEqual([]);
    const verified = await verifyLedgerChain(ctx, {});
    expect(verified).toMatchObject({ ok: true, last_block: 3, blocks_checked: 3, entries_checked: 14, unsealed_entries: 0, sealing_lag_seconds: 0, first_broken: null });
    expect(verified.last_hash).toBe(sealed[2]?.hash);
  });

  it('chains over the entries that exist: gaps left by rolled-back inserts, payout entries without an event', async () => {
    await recordCharges(2);
    await leaveIdGap();
    await ingestEvent(ctx, refundEvent({ event_id: 'seal_refund', restaurant_id: 'res_seal_0', occurred_at: '2026-01-20T00:00:00Z', amount: 100 }), {});
    await requestPayoutRun(ctx, { currency: 'PEN', as_of: '2026-01-31', min_amount: 0 });
    while ((await workNextPayoutRun(ctx, { owner: 'seal-test' })) !== undefined) {}
    await sealPendingEntries(ctx, { blockSize: 3 });
    const verified = await verifyLedgerChain(ctx, {});
    expect(verified.ok).toBe(true);
    const { rows } = await sql<{ entries: number }>`SELECT COUNT(*)::int AS entries FROM ledger_entries`.execute(testDb.db);
    expect(verified.entries_checked).toBe(rows[0]?.entries);
    const { rows: payoutEntries } = await sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM ledger_entries WHERE entry_type = 'payout'`.execute(testDb.db);
    expect(payoutEntries[0]?.n).toBeGreaterThan(0);
  });

  it('continues the chain from the latest block, and reports what is not sealed yet with how long it has waited', async () => {
    await recordCharges(2);
    await sealPendingEntries(ctx, {});
    await recordCharges(3, 'later');
    const waiting = await verifyLedgerChain(ctx, {});
    expect(waiting).toMatchObject({ ok: true, blocks_checked: 1, entries_checked: 4, unsealed_entries: 6 });
    expect(waiting.sealing_lag_seconds).toBeGreaterThanOrEqual(0);
    await sealPendingEntries(ctx, {});
    expect(await verifyLedgerChain(ctx, {})).toMatchObject({ ok: true, last_block: 2, entries_checked: 10, unsealed_entries: 0 });
  });

  it('refuses a block, in the database itself, that does not follow the latest one', async () => {
    await recordCharges(2);
    await sealPendingEntries(ctx, {});
    const fork = sql`
      INSERT INTO ledger_seals (block_number, prior_block, prior_hash, prior_last_entry_id, first_entry_id, last_entry_id, entry_count, hash)
      VALUES (2, 1, ${Buffer.alloc(32, 1)}, 4, 5, 5, 1, ${Buffer.alloc(32, 2)})`;
    await expect(fork.execute(testDb.db)).rejects.toThrow(/ledger_seals_follows/);
    await expect(sql`UPDATE ledger_seals SET entry_count = 1`.execute(testDb.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM ledger_seals`.execute(testDb.db)).rejects.toThrow(/append-only/);
  });
});

describe('verify, after a superuser worked around the triggers', () => {
  /** Four blocks of four entries: ids 1–4, 5–8, then the two a rolled-back charge drew (a gap), 11–14, 15–18. */
  beforeEach(async () => {
    await recordCharges(4);
    await leaveIdGap();
    await recordCharges(4, 'more');
    await sealPendingEntries(ctx, { blockSize: 4 });
    expect((await verifyLedgerChain(ctx, {})).ok).toBe(true);
  });
  const nthEntryOfBlock = (block: number, n = 0) =>
    sql`(SELECT id FROM ledger_entries WHERE id > (SELECT prior_last_entry_id FROM ledger_seals WHERE block_number = ${block}) ORDER BY id OFFSET ${n} LIMIT 1)`;

  it('finds a changed amount (triggers disabled on the table) in its block', async () => {
    await sql`ALTER TABLE ledger_entries DISABLE TRIGGER USER`.execute(testDb.db);
    await sql`UPDATE ledger_entries SET amount_minor = amount_minor + 1 WHERE id = ${nthEntryOfBlock(2, 1)}`.execute(testDb.db);
    await sql`ALTER TABLE ledger_entries ENABLE TRIGGER USER`.execute(testDb.db);
    const verified = await verifyLedgerChain(ctx, {});
    expect(verified.ok).toBe(false);
    expect(verified.first_broken).toMatchObject({ block: 2, reason: 'ENTRY_CHANGED', entries_sealed: 4, entries_found: 4 });
    expect(verified.first_broken?.actual_hash).not.toBe(verified.first_broken?.expected_hash);
    expect(verified.blocks_checked).toBe(1);
  });

  it('finds a deleted entry in its block', async () => {
    await asSuperuser(sql`DELETE FROM ledger_entries WHERE id = ${nthEntryOfBlock(1, 2)}`);
    expect((await verifyLedgerChain(ctx, {})).first_broken).toMatchObject({ block: 1, reason: 'ENTRY_MISSING', entries_sealed: 4, entries_found: 3 });
  });

  it('finds an entry inserted into a sealed range (the gap a rolled-back insert left)', async () => {
    const [, , third] = await blocks();
    await asSuperuser(sql`
      INSERT INTO ledger_entries (id, processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT ${third?.first ?? '0'}::bigint - 1, processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at
      FROM ledger_entries WHERE id = ${third?.first ?? '0'}::bigint`);
    expect((await verifyLedgerChain(ctx, {})).first_broken).toMatchObject({ block: 3, reason: 'ENTRY_INSERTED', entries_sealed: 4, entries_found: 5 });
  });

  it('finds a seal row whose hash was rewritten, and a seal row that no longer names the block before it', async () => {
    const [, second] = await blocks();
    await asSuperuser(sql`UPDATE ledger_seals SET hash = sha256(hash) WHERE block_number = 2`);
    expect((await verifyLedgerChain(ctx, {})).first_broken).toMatchObject({ block: 2, reason: 'SEAL_CHANGED', actual_hash: second?.hash });
    await asSuperuser(sql`UPDATE ledger_seals SET hash = ${Buffer.from(second?.hash ?? '', 'hex')}, prior_hash = sha256(prior_hash) WHERE block_number = 2`);
    expect((await verifyLedgerChain(ctx, {})).first_broken).toMatchObject({ block: 2, reason: 'CHAIN_LINK_BROKEN', expected_hash: (await blocks())[0]?.hash });
  });

  it('names the first broken block when several are, and checks only from from_block when asked', async () => {
    await asSuperuser(sql`UPDATE ledger_entries SET occurred_at = occurred_at + interval '1 microsecond' WHERE id = ${nthEntryOfBlock(3)}`);
    await asSuperuser(sql`DELETE FROM ledger_entries WHERE id = ${nthEntryOfBlock(2)}`);
    expect((await verifyLedgerChain(ctx, {})).first_broken).toMatchObject({ block: 2, reason: 'ENTRY_MISSING' });
    expect((await verifyLedgerChain(ctx, { from_block: 3 })).first_broken).toMatchObject({ block: 3, reason: 'ENTRY_CHANGED' });
    expect(await verifyLedgerChain(ctx, { from_block: 1, to_block: 1 })).toMatchObject({ ok: true, blocks_checked: 1 });
  });

  it('lists LEDGER_SEAL_BROKEN in the integrity report (Q4)', async () => {
    expect((await integrityReport(ctx)).items.filter((row) => row.reason === 'LEDGER_SEAL_BROKEN')).toEqual([]);
    await asSuperuser(sql`UPDATE ledger_entries SET amount_minor = amount_minor + 1 WHERE id = ${nthEntryOfBlock(2)}`);
    await asSuperuser(sql`UPDATE ledger_seals SET prior_hash = sha256(prior_hash) WHERE block_number = 3`);
    const flagged = (await integrityReport(ctx)).items.filter((row) => row.reason === 'LEDGER_SEAL_BROKEN');
    expect(flagged.map((row) => row.detail)).toEqual([
      expect.stringMatching(/^block 2: its entries hash to [0-9a-f]{64}, the seal records [0-9a-f]{64}$/),
      expect.stringMatching(/^block 3: does not follow block 2$/),
      // Its recorded link is part of what its hash covers.
      expect.stringMatching(/^block 3: its entries hash to /),
    ]);
  });
});

describe('verify input', () => {
  it('refuses a from_block that is not sealed yet, naming the field', async () => {
    await recordCharges(1);
    await sealPendingEntries(ctx, {});
    const error = await expectLedgerError(verifyLedgerChain(ctx, { from_block: 5 }), 'VALIDATION_ERROR');
    expect(error.details).toEqual({ issues: [{ field: 'from_block', message: 'block 5 is not sealed; the latest block is 1' }] });
  });

  it('accepts decimal block numbers only, from_block <= to_block, and nothing else', () => {
    expect(verifyLedgerInputSchema.parse({ from_block: '2', to_block: '3' })).toEqual({ from_block: 2, to_block: 3 });
    for (const bad of [{ from_block: '0' }, { from_block: '1e1' }, { from_block: '-1' }, { to_block: 'x' }, { from_block: '3', to_block: '2' }, { block: '1' }]) {
      expect(verifyLedgerInputSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
