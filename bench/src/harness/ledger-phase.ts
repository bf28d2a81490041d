import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from './http-load.ts';
import { runPgbench } from './pgbench.ts';
import { withClient } from './databases.ts';
import { attempt, type BalanceFigure, type PayoutBatches, type PayoutFigure, type PhaseContext } from './results.ts';
import { summarizeLatencies } from './stats.ts';

/** The seeded restaurants whose balance latency is measured, by history size (bench/src/seed-ledger.ts). */
export const BALANCE_RESTAURANTS = [
  { restaurant: 'res_1k_00001', entries: 1_000 },
  { restaurant: 'res_100k_00001', entries: 100_000 },
  { restaurant: 'res_1m_00001', entries: 1_000_000 },
] as const;
/** The raw side of the balance figures: the balance SQL alone. */
export const BALANCE_SCRIPT = 'balance.sql';
const PAYOUT_POLL_MS = 100;
const CURRENCY = 'PEN';

interface LedgerContext extends PhaseContext {
  /** The run's copy of the seeded ledger. */
  ledgerUrl: string;
  /** The server's statement timeout, for the report. */
  statementTimeoutMs: number;
  report: (figure: BalanceFigure) => void;
}

/**
 * The ledger half, on the copy of the seeded ledger: balance latency by history size (the balance
 * SQL alone, then the HTTP route, each on one connection), then one payout run over every PEN
 * restaurant (the 10,000 small ones and the three large ones).
 */
export async function runLedgerPhase(ctx: LedgerContext): Promise<void> {
  if (ctx.config.ledgerSettleSeconds > 0) {
    ctx.log(`letting the ledger server settle for ${ctx.config.ledgerSettleSeconds} s (BENCH_LEDGER_SETTLE_SECONDS)`);
    await sleep(ctx.config.ledgerSettleSeconds * 1000);
  }
  for (const { restaurant, entries } of BALANCE_RESTAURANTS) {
    const figure: BalanceFigure = { restaurant, entries };
    const path = `/v1/restaurants/${restaurant}/balance?currency=${CURRENCY}`;
    // One request first: the server's code and the restaurant's index pages are warm for both measurements.
    await fetch(`${ctx.server.url}${path}`).then((response) => response.arrayBuffer(), () => undefined);
    ctx.log(`raw balance of ${restaurant}: ${BALANCE_SCRIPT}, -M extended, 1 client, ${ctx.config.latencySeconds} s`);
    const raw = await attempt(ctx.results, `raw balance ${restaurant}`, ctx.log, () =>
      runPgbench({
        pgbenchPath: ctx.config.pgbenchPath, databaseUrl: ctx.ledgerUrl, script: BALANCE_SCRIPT, mode: 'extended', clients: 1,
        seconds: ctx.config.latencySeconds, variables: { restaurant, as_of: new Date().toISOString() }, keepLatencies: true,
      }),
    );
    if (raw !== undefined) figure.raw = summarizeLatencies(raw.latenciesMs ?? []);
    ctx.log(`HTTP balance of ${restaurant}: GET ${path}, 1 connection, ${ctx.config.latencySeconds} s`);
    const http = await attempt(ctx.results, `HTTP balance ${restaurant}`, ctx.log, () =>
      runLoad({ baseUrl: ctx.server.url, method: 'GET', path, connections: 1, seconds: ctx.config.latencySeconds, expectedStatus: 200 }),
    );
    if (http !== undefined) figure.http = http;
    ctx.results.balances.push(figure);
    ctx.report(figure);
  }
  ctx.results.payout = await attempt(ctx.results, 'payout run', ctx.log, () => runPayout(ctx));
}

interface PayoutRunView {
  run_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created: number;
  skipped: Record<string, number>;
  requested_at: string;
  finished_at: string | null;
}

async function runPayout(ctx: LedgerContext): Promise<PayoutFigure> {
  const asOf = new Date().toISOString().slice(0, 10);
  ctx.log(`payout run: POST /v1/payouts/run {currency: ${CURRENCY}, as_of: ${asOf}}, polling until it finishes`);
  const startedMs = performance.now();
  const accepted = await fetch(`${ctx.server.url}/v1/payouts/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ currency: CURRENCY, as_of: asOf }),
  });
  if (accepted.status !== 202) throw new Error(`POST /v1/payouts/run answered ${accepted.status}: ${(await accepted.text()).slice(0, 300)}`);
  const { data } = (await accepted.json()) as { data: PayoutRunView };
  const deadline = startedMs + ctx.config.payoutTimeoutSeconds * 1000;
  let run = data;
  while (run.status === 'queued' || run.status === 'running') {
    if (performance.now() > deadline) throw new Error(`payout run ${run.run_id} still ${run.status} after ${ctx.config.payoutTimeoutSeconds} s`);
    await sleep(PAYOUT_POLL_MS);
    const polled = await fetch(`${ctx.server.url}/v1/payouts/runs/${run.run_id}`);
    if (polled.status !== 200) throw new Error(`GET /v1/payouts/runs/${run.run_id} answered ${polled.status}`);
    run = ((await polled.json()) as { data: PayoutRunView }).data;
  }
  const wallSeconds = (performance.now() - startedMs) / 1000;
  const serverSeconds = run.finished_at === null ? undefined : (Date.parse(run.finished_at) - Date.parse(run.requested_at)) / 1000;
  const figure: PayoutFigure = {
    runId: run.run_id, status: run.status, attempts: run.attempts, lastError: run.last_error, statementTimeoutMs: ctx.statementTimeoutMs,
    wallSeconds, serverSeconds, created: run.created, skipped: run.skipped,
  };
  if (run.finished_at !== null && run.created > 0) {
    figure.batches = await attempt(ctx.results, 'payout batches', ctx.log, () => payoutBatches(ctx.ledgerUrl, run.run_id, new Date(run.finished_at as string)));
  }
  return figure;
}

/**
 * Each batch stamps its payouts with the time it started, so the gaps between those stamps are
 * the batches' durations (the last one ends when the run finished).
 */
async function payoutBatches(ledgerUrl: string, runId: string, finishedAt: Date): Promise<PayoutBatches> {
  return withClient(ledgerUrl, async (client) => {
    const { rows } = await client.query<{ started: Date }>('SELECT DISTINCT created_at AS started FROM payouts WHERE run_id = $1 ORDER BY 1', [runId]);
    const durations = rows.map((row, i) => ((rows[i + 1]?.started ?? finishedAt).getTime() - row.started.getTime()) / 1000);
    const slowest = durations.indexOf(Math.max(...durations));
    const largest = await client.query<{ restaurant: string; entries: string }>(
      `SELECT p.restaurant_id AS restaurant, count(*)::text AS entries
         FROM payouts p JOIN payout_settlements s ON s.payout_id = p.id
        WHERE p.run_id = $1 AND p.created_at = $2
        GROUP BY p.restaurant_id ORDER BY count(*) DESC LIMIT 3`,
      [runId, rows[slowest]?.started],
    );
    const slowestSeconds = durations[slowest] ?? 0;
    return {
      count: rows.length,
      slowestSeconds,
      slowestLargest: largest.rows.map((row) => ({ restaurant: row.restaurant, entries: Number(row.entries) })),
      othersSeconds: durations.reduce((sum, seconds) => sum + seconds, 0) - slowestSeconds,
    };
  });
}
