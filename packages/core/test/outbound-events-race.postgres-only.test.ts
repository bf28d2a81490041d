import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscription, deliverDueEvents, type LedgerContext, projectOutboundEvents } from '../src/index.ts';
import type { LedgerTransaction } from '../src/db/database.ts';
import { suiteDatabase } from './support/index.ts';

const NOW = '2026-02-01T00:00:00Z';

/** A reconciliation row as its import writes it (the projector reads only the table). */
async function insertReconciliation(db: LedgerContext['db'] | LedgerTransaction, n: number): Promise<void> {
  await sql`
    INSERT INTO reconciliations (file_sha256, file_bytes, row_count, payout_count, currencies, paid_from, paid_to,
      matched_count, amount_mismatch_count, in_ledger_not_in_report_count, in_report_not_in_ledger_count, result)
    VALUES (${n.toString(16).padStart(64, '0')}, 100, 1, 1, ARRAY['PEN'], '2026-01-01', '2026-01-31', 0, 0, 0, 1,
      '{"matched":[],"amount_mismatch":[],"in_ledger_not_in_report":[],"in_report_not_in_ledger":[]}')`.execute(db);
}

async function projectedReconciliations(ctx: LedgerContext): Promise<string[]> {
  const rows = await ctx.db.selectFrom('outbound_events').select('source_key').where('event_type', '=', 'reconciliation.completed').orderBy('id').execute();
  return rows.map((row) => row.source_key);
}

describe('the projector and transactions that commit out of id order', () => {
  const suite = suiteDatabase(NOW);

  it('projects a row whose transaction drew a lower id and committed after a higher one was projected', async () => {
    const ctx = suite.ctx;
    await projectOutboundEvents(ctx);
    const late = suite.testDb.openPool(1);
    let commitLate: () => void = () => undefined;
    const lateWritten = new Promise<void>((written) => {
      void late.transaction().execute(async (trx) => {
        await insertReconciliation(trx, 1); // draws the lower id, does not commit yet
        written();
        await new Promise<void>((resolve) => (commitLate = resolve));
      });
    });
    await lateWritten;
    await insertReconciliation(ctx.db, 2); // the higher id, committed at once
    for (let pass = 0; pass < 4; pass++) await projectOutboundEvents(ctx);
    const before = await projectedReconciliations(ctx);
    expect(before).toHaveLength(1);
    const { rows } = await sql<{ watermark: string; top: string }>`
      SELECT s.watermark::text, (SELECT max(id)::text FROM reconciliations) AS top
      FROM outbound_projector_state s WHERE source = 'reconciliations'`.execute(ctx.db);
    // The watermark waits below the open transaction's id.
    expect(BigInt(rows[0]?.watermark ?? '0')).toBeLessThan(BigInt(rows[0]?.top ?? '0') - 1n);

    commitLate();
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let pass = 0; pass < 3; pass++) await projectOutboundEvents(ctx);
    const after = await projectedReconciliations(ctx);
    expect(after).toHaveLength(2);
    await late.destroy();
  });
});

describe('two deliverers on separate connections', () => {
  const suite = suiteDatabase(NOW);
  let receiver: Server;
  const received: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => setTimeout(() => res.end('ok'), 20));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('never send one delivery twice when every attempt succeeds', async () => {
    const outbound = { allowedHosts: ['127.0.0.1'] };
    const ctx = { ...suite.ctx, outbound };
    await createSubscription(ctx, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in` });
    for (let i = 0; i < 45; i++) await insertReconciliation(ctx.db, 100 + i);
    await projectOutboundEvents(ctx);
    await projectOutboundEvents(ctx);
    const servers = [0, 1].map(() => ({ ...ctx, db: suite.testDb.openPool(3) }));
    const signal = new AbortController().signal;
    await Promise.all(
      servers.map(async (server, i) => {
        for (let round = 0; round < 6; round++) await deliverDueEvents(server, `deliverer-${i}`, signal);
      }),
    );
    expect(received).toHaveLength(45);
    expect(new Set(received).size).toBe(45);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbound_deliveries WHERE status = 'delivered'`.execute(ctx.db);
    expect(rows[0]?.n).toBe(45);
  });
});
