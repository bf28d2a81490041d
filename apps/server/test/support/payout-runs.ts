import type { LedgerDb, PayoutRun } from '@restaurant-ledger/core';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { settlementLinks } from '@restaurant-ledger/core/testing';
import { sleep } from './server-process.ts';
import { request } from './test-server.ts';

/** Payout runs driven over HTTP against a server process, for the crash tests. */
export async function getRun(url: string, runId: string): Promise<PayoutRun> {
  const response = await request(`${url}/v1/payouts/runs/${runId}`);
  expect(response.status).toBe(200);
  return response.body.data as PayoutRun;
}

export async function startRun(url: string, body: { currency: string; as_of: string }): Promise<string> {
  const response = await request(`${url}/v1/payouts/run`, { body });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body.data.run_id as string;
}

/** Polls until the run has created at least `atLeast` payouts and is still running (it must not finish first). */
export async function waitUntilPartlyDone(url: string, runId: string, atLeast: number): Promise<PayoutRun> {
  for (let i = 0; i < 2_000; i += 1) {
    const run = await getRun(url, runId);
    if (run.status === 'running' && run.created >= atLeast) return run;
    expect(run.status, 'the run finished before it could be interrupted').not.toBe('completed');
    await sleep(5);
  }
  throw new Error(`run ${runId} never got going`);
}

export async function waitUntilCompleted(url: string, runId: string, timeoutMs: number, output: () => string): Promise<PayoutRun> {
  const deadline = Date.now() + timeoutMs;
  let run: PayoutRun | undefined;
  while (Date.now() < deadline) {
    run = await getRun(url, runId);
    if (run.status === 'completed' || run.status === 'failed') return run;
    await sleep(25);
  }
  throw new Error(`run ${runId} did not complete in ${timeoutMs} ms: ${JSON.stringify(run)}\n${output()}`);
}

/**
 * Payouts of `currency` whose settled entries do not sum to 0 with exactly one `payout` entry of
 * their own, and entries settled by more than one payout: both must be empty whatever crashed.
 */
export async function settlementProblems(db: LedgerDb, currency: string): Promise<{ unbalanced: string[]; settledTwice: string[] }> {
  const { rows: unbalanced } = await sql<{ id: string }>`
    SELECT p.id::text AS id FROM payouts p
    LEFT JOIN (${settlementLinks}) s ON s.payout_id = p.id
    LEFT JOIN ledger_entries le ON le.id = s.ledger_entry_id
    WHERE p.currency = ${currency}
    GROUP BY p.id
    HAVING COALESCE(SUM(le.amount_minor), 0) <> 0 OR count(*) FILTER (WHERE le.entry_type = 'payout') <> 1`.execute(db);
  const { rows: twice } = await sql<{ ledger_entry_id: string }>`
    SELECT ledger_entry_id::text FROM (${settlementLinks}) s GROUP BY ledger_entry_id HAVING count(*) > 1`.execute(db);
  return { unbalanced: unbalanced.map((row) => row.id), settledTwice: twice.map((row) => row.ledger_entry_id) };
}
