import { setTimeout as sleep } from 'node:timers/promises';
import { CHECKPOINT_AFTER_ENTRIES_DEFAULT, EVENT_BATCH_MAX, STATEMENT_PAGE_LIMIT_DEFAULT } from '@restaurant-ledger/core';
import { encodeCursor } from '../../../packages/core/src/cursor.ts';
import { runLoad } from './http-load.ts';
import { BATCH_CREATED, BATCH_ROUTE } from './ingest-phase.ts';
import { runPgbench } from './pgbench.ts';
import { BALANCE_SCRIPT } from './pgbench-scripts.ts';
import { withClient } from './databases.ts';
import {
  attempt,
  type BalanceCheckpointState,
  type BalanceFigure,
  type BalanceLoadFigure,
  type HttpTarget,
  type PayoutBatches,
  type PayoutFigure,
  type PayoutKind,
  type PhaseContext,
  type StatementCheckpointState,
  type StatementPageFigure,
  type SteadyStatePreparation,
} from './results.ts';
import type { RunningServer } from './server-process.ts';
import { summarizeLatencies } from './stats.ts';
import { balanceBaselineFor, balanceRatioToBaseline, HOT_RESTAURANT, STATEMENT_POSITION } from './targets.ts';

/** The seeded restaurants whose balance latency is measured, by history size (bench/src/seed-ledger.ts). */
export const BALANCE_RESTAURANTS = [
  { restaurant: 'res_1k_00001', entries: 1_000 },
  { restaurant: 'res_100k_00001', entries: 100_000 },
  { restaurant: 'res_1m_00001', entries: 1_000_000 },
] as const;
/** Entries before the statement pages measured on the 1M-entry restaurant: the first page, then deeper. */
const STATEMENT_POSITIONS = [0, 100_000, STATEMENT_POSITION, 900_000];
/** Sequential requests per statement position, after one that is not counted. */
const STATEMENT_PAGE_REQUESTS = 10;
const PAYOUT_POLL_MS = 100;
const CURRENCY = 'PEN';
/** How long a balance checkpoint may take to appear after the read that asks for it (the 1M one reads 1M entries). */
const CHECKPOINT_WAIT_MS = 120_000;
const CHECKPOINT_POLL_MS = 100;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The seeded ledger's small restaurants, res_bg_00001 … res_bg_10000, each of which takes a day of charges. */
const STEADY_RESTAURANTS = 10_000;
const STEADY_EVENTS_PER_RESTAURANT = 3;
/** Batch requests in flight at once while the day of charges is sent. */
const STEADY_SENDERS = 4;

interface LedgerContext extends PhaseContext {
  /** The run's copy of the seeded ledger. */
  ledgerUrl: string;
  /** The server's statement timeout, for the report. */
  statementTimeoutMs: number;
  /** The bare-Node baseline on the same copy, when it started: its balance route under the same load, just before the service's. */
  bare: RunningServer | undefined;
  report: (figure: BalanceFigure) => void;
}

/**
 * The ledger half, on the copy of the seeded ledger: balance latency by history size (the balance
 * SQL alone, then the HTTP route, each on one connection, both from the checkpoint the server
 * writes), then the payout figures: the first run ever over every PEN restaurant (the 10,000
 * small ones and the three large ones), and the next day's run after one day of new charges.
 */
export async function runLedgerPhase(ctx: LedgerContext): Promise<void> {
  if (ctx.config.ledgerSettleSeconds > 0) {
    ctx.log(`letting the ledger server settle for ${ctx.config.ledgerSettleSeconds} s (BENCH_LEDGER_SETTLE_SECONDS)`);
    await sleep(ctx.config.ledgerSettleSeconds * 1000);
  }
  const checkpoints = (await attempt(ctx.results, 'balance checkpoints', ctx.log, () => awaitBalanceCheckpoints(ctx))) ?? new Map<string, BalanceCheckpointState>();
  for (const { restaurant, entries } of BALANCE_RESTAURANTS) {
    const figure: BalanceFigure = { restaurant, entries };
    const checkpoint = checkpoints.get(restaurant);
    if (checkpoint !== undefined) figure.checkpoint = checkpoint;
    const path = balancePath(restaurant);
    // One request first: the server's code and the restaurant's index pages are warm for both measurements.
    await fetch(`${ctx.server.url}${path}`).then((response) => response.arrayBuffer(), () => undefined);
    ctx.log(`raw balance of ${restaurant}: ${BALANCE_SCRIPT}, -M prepared, 1 client, ${ctx.config.latencySeconds} s`);
    const raw = await attempt(ctx.results, `raw balance ${restaurant}`, ctx.log, () =>
      runPgbench({
        pgbenchPath: ctx.config.pgbenchPath, databaseUrl: ctx.ledgerUrl, script: BALANCE_SCRIPT, mode: 'prepared', clients: 1,
        seconds: ctx.config.latencySeconds, variables: { restaurant, currency: CURRENCY, as_of: new Date().toISOString() }, keepLatencies: true,
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
  await measureBalanceLoad(ctx);
  await measureStatementPages(ctx);
  await runPayoutFigures(ctx);
}

/**
 * Balance reads of the 1M-entry restaurant on as many connections as the single-event figure (issue
 * 14: req/s and p99): the bare-Node baseline's (the same statements with nothing around them, after a
 * warm-up of its own), then the service's, seconds apart, so the ratio tells the stack from the machine.
 */
async function measureBalanceLoad(ctx: LedgerContext): Promise<void> {
  const entries = BALANCE_RESTAURANTS.find((b) => b.restaurant === HOT_RESTAURANT)?.entries ?? 0;
  const connections = ctx.config.singleConnections;
  const path = balancePath(HOT_RESTAURANT);
  const load = (baseUrl: string, seconds: number) => runLoad({ baseUrl, method: 'GET', path, connections, seconds, expectedStatus: 200 });
  const measure = async (target: HttpTarget, baseUrl: string): Promise<void> => {
    ctx.log(`HTTP balance of ${HOT_RESTAURANT} (${target}): GET ${path}, ${connections} connections, ${ctx.config.throughputSeconds} s`);
    const result = await attempt(ctx.results, `HTTP balance ${HOT_RESTAURANT} at ${connections} connections (${target})`, ctx.log, () => load(baseUrl, ctx.config.throughputSeconds));
    if (result === undefined) return;
    const figure = { target, restaurant: HOT_RESTAURANT, entries, connections, result };
    ctx.results.balanceLoads.push(figure);
    ctx.log(`==> ${balanceLoadLine(ctx.results.balanceLoads, figure)}`);
  };
  const bare = ctx.bare;
  if (bare !== undefined && ctx.config.warmupSeconds > 0) {
    ctx.log(`warming the bare-Node baseline's balance route up: ${ctx.config.warmupSeconds} s`);
    await attempt(ctx.results, 'bare-Node balance warm-up', ctx.log, () => load(bare.url, ctx.config.warmupSeconds));
  }
  if (bare !== undefined) await measure('bare-node', bare.url);
  await measure('service', ctx.server.url);
}

/** One line per balance load figure: the service's with its ratio to the bare-Node figure just before it. */
function balanceLoadLine(loads: readonly BalanceLoadFigure[], figure: BalanceLoadFigure): string {
  const { result } = figure;
  const rate = (value: number): string => Math.round(value).toLocaleString('en-US');
  const line = `balance of ${figure.restaurant} at ${figure.connections} connections [${figure.target}]: ${rate(result.itemsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`;
  const baseline = balanceBaselineFor(loads, figure);
  const ratio = balanceRatioToBaseline(loads, figure);
  return ratio === undefined || baseline === undefined
    ? line
    : `${line}; ${(ratio * 100).toFixed(0)}% of bare-Node (${rate(baseline.result.itemsPerSecond)} req/s, p99 ${baseline.result.p99Ms.toFixed(2)} ms)`;
}

/**
 * Statement pages of the 1M-entry restaurant at increasing positions: for each, the cursor the
 * server would have issued for the page ending just before that position (the server's own
 * encodeCursor, on the entry found in statement order), then sequential requests on one connection.
 * All start from the statement checkpoint the service itself uses: one page deep in the history
 * first (a page whose opening read more than LEDGER_CHECKPOINT_AFTER_ENTRIES entries asks the
 * server's background checkpointer for one), then a wait until it is in the table.
 */
async function measureStatementPages(ctx: LedgerContext): Promise<void> {
  const checkpoint = await attempt(ctx.results, 'statement checkpoint', ctx.log, () => awaitStatementCheckpoint(ctx));
  if (checkpoint !== undefined) ctx.results.statementCheckpoint = checkpoint;
  for (const position of STATEMENT_POSITIONS) {
    const figure = await attempt(ctx.results, `statement page at ${position}`, ctx.log, () => measureStatementPage(ctx, position));
    if (figure === undefined) continue;
    ctx.results.statementPages.push(figure);
    ctx.log(`==> statement page of ${HOT_RESTAURANT} at position ${position.toLocaleString('en-US')}: p50 ${figure.latency.p50Ms.toFixed(2)} ms, p99 ${figure.latency.p99Ms.toFixed(2)} ms`);
  }
}

/** One page at STATEMENT_POSITION through the server, then a wait until the statement checkpoint it asked for is written. */
async function awaitStatementCheckpoint(ctx: LedgerContext): Promise<StatementCheckpointState> {
  const startedMs = performance.now();
  const response = await fetch(await statementPageUrl(ctx, STATEMENT_POSITION, STATEMENT_PAGE_LIMIT_DEFAULT));
  if (response.status !== 200) throw new Error(`GET statement at ${STATEMENT_POSITION} answered ${response.status}`);
  await response.arrayBuffer();
  return withClient(ctx.ledgerUrl, async (client) => {
    const deadline = performance.now() + CHECKPOINT_WAIT_MS;
    for (;;) {
      const { rows } = await client.query<{ entries_read: string; marks: string }>(
        `SELECT c.entries_read::text, (SELECT COUNT(*) FROM statement_checkpoint_marks m WHERE m.checkpoint_id = c.id)::text AS marks
           FROM statement_checkpoints c WHERE c.restaurant_id = $1 AND c.currency = $2 ORDER BY c.through_entry_id DESC LIMIT 1`,
        [HOT_RESTAURANT, CURRENCY],
      );
      const row = rows[0];
      if (row !== undefined) {
        const state = { entriesRead: Number(row.entries_read), marks: Number(row.marks), waitedSeconds: (performance.now() - startedMs) / 1000 };
        ctx.log(`statement checkpoint of ${HOT_RESTAURANT}: written by the server, read ${state.entriesRead.toLocaleString('en-US')} entries, ${state.marks.toLocaleString('en-US')} marks (${state.waitedSeconds.toFixed(1)} s after the first page)`);
        return state;
      }
      if (performance.now() > deadline) throw new Error(`no statement checkpoint of ${HOT_RESTAURANT} ${CHECKPOINT_WAIT_MS / 1000} s after a page`);
      await sleep(CHECKPOINT_POLL_MS);
    }
  });
}

/** The URL of the page at `position` (entries before it, in statement order), with the cursor the server would have issued. */
async function statementPageUrl(ctx: LedgerContext, position: number, limit: number): Promise<string> {
  const query = new URLSearchParams({ currency: CURRENCY, limit: String(limit) });
  if (position > 0) {
    const last = await withClient(ctx.ledgerUrl, async (client) => {
      const { rows } = await client.query<{ occurred_at: Date; id: string }>(
        `SELECT occurred_at, id::text AS id FROM ledger_entries WHERE restaurant_id = $1 AND currency = $2 ORDER BY occurred_at, id OFFSET $3 LIMIT 1`,
        [HOT_RESTAURANT, CURRENCY, position - 1],
      );
      return rows[0];
    });
    if (last === undefined) throw new Error(`${HOT_RESTAURANT} has no entry at position ${position}`);
    const filters = { restaurant_id: HOT_RESTAURANT, currency: CURRENCY, from: null, to: null };
    query.set('cursor', encodeCursor('statement', filters, { occurredAt: last.occurred_at.toISOString(), id: last.id }));
  }
  return `${ctx.server.url}/v1/restaurants/${HOT_RESTAURANT}/statement?${query.toString()}`;
}

async function measureStatementPage(ctx: LedgerContext, position: number): Promise<StatementPageFigure> {
  const limit = STATEMENT_PAGE_LIMIT_DEFAULT;
  const url = await statementPageUrl(ctx, position, limit);
  const samplesMs: number[] = [];
  for (let i = 0; i <= STATEMENT_PAGE_REQUESTS; i += 1) {
    const startedMs = performance.now();
    const response = await fetch(url);
    const body = await response.text();
    const elapsedMs = performance.now() - startedMs;
    if (response.status !== 200) throw new Error(`GET statement at ${position} answered ${response.status}: ${body.slice(0, 300)}`);
    if (i > 0) samplesMs.push(elapsedMs);
  }
  return { restaurant: HOT_RESTAURANT, position, limit, latency: summarizeLatencies(samplesMs) };
}

function balancePath(restaurant: string): string {
  return `/v1/restaurants/${restaurant}/balance?currency=${CURRENCY}`;
}

/**
 * Makes both balance measurements start from the checkpoint the service itself would use: one
 * balance read through the server for each measured restaurant (a read of more than
 * LEDGER_CHECKPOINT_AFTER_ENTRIES entries asks the server's background checkpointer for one), then
 * a wait until each such checkpoint is in the table. A restaurant whose read stays under the
 * threshold gets none, here as in production, and both sides sum its whole history.
 */
async function awaitBalanceCheckpoints(ctx: LedgerContext): Promise<Map<string, BalanceCheckpointState>> {
  const threshold = Number(process.env.LEDGER_CHECKPOINT_AFTER_ENTRIES ?? CHECKPOINT_AFTER_ENTRIES_DEFAULT);
  const startedMs = performance.now();
  for (const { restaurant } of BALANCE_RESTAURANTS) {
    const response = await fetch(`${ctx.server.url}${balancePath(restaurant)}`);
    if (response.status !== 200) throw new Error(`GET ${balancePath(restaurant)} answered ${response.status}`);
    await response.arrayBuffer();
  }
  const states = new Map<string, BalanceCheckpointState>();
  await withClient(ctx.ledgerUrl, async (client) => {
    for (const { restaurant, entries } of BALANCE_RESTAURANTS) {
      const expected = entries > threshold;
      const deadline = performance.now() + CHECKPOINT_WAIT_MS;
      for (;;) {
        const { rows } = await client.query<{ entries_read: string }>(
          `SELECT entries_read::text FROM balance_checkpoints WHERE restaurant_id = $1 AND currency = $2 ORDER BY through_entry_id DESC LIMIT 1`,
          [restaurant, CURRENCY],
        );
        const row = rows[0];
        if (row !== undefined) {
          const waitedSeconds = (performance.now() - startedMs) / 1000;
          states.set(restaurant, { threshold, latest: { entriesRead: Number(row.entries_read), waitedSeconds } });
          ctx.log(`balance checkpoint of ${restaurant}: written by the server, read ${Number(row.entries_read).toLocaleString('en-US')} entries (${waitedSeconds.toFixed(1)} s after the first read)`);
          break;
        }
        if (!expected) {
          states.set(restaurant, { threshold });
          ctx.log(`balance checkpoint of ${restaurant}: none (a read of ${entries.toLocaleString('en-US')} entries does not ask for one; the threshold is ${threshold.toLocaleString('en-US')})`);
          break;
        }
        if (performance.now() > deadline) throw new Error(`no balance checkpoint of ${restaurant} ${CHECKPOINT_WAIT_MS / 1000} s after a balance read`);
        await sleep(CHECKPOINT_POLL_MS);
      }
    }
  });
  return states;
}

/**
 * The first payout run over the seeded ledger, as of yesterday (UTC); then a steady state: its
 * payouts marked paid, one day of new charges for every small restaurant through the batch route,
 * and the next run, as of today. Two dates because a run pays once per as_of, and a run whose
 * cutoff is earlier than an existing payout's skips that restaurant (docs/payouts.md).
 */
async function runPayoutFigures(ctx: LedgerContext): Promise<void> {
  const today = new Date();
  const yesterday = new Date(today.getTime() - DAY_MS).toISOString().slice(0, 10);
  const first = await attempt(ctx.results, 'payout run (first)', ctx.log, () => runPayout(ctx, 'first', yesterday));
  if (first === undefined) return;
  ctx.results.payouts.push(first);
  if (first.status !== 'completed') {
    ctx.results.errors.push({ step: 'payout run (steady state)', message: `not run: the first run ended ${first.status}` });
    return;
  }
  const preparation = await attempt(ctx.results, 'steady-state preparation', ctx.log, () => prepareSteadyState(ctx, first.runId));
  if (preparation === undefined) return;
  const steady = await attempt(ctx.results, 'payout run (steady state)', ctx.log, () => runPayout(ctx, 'steady', new Date().toISOString().slice(0, 10)));
  if (steady !== undefined) ctx.results.payouts.push({ ...steady, preparation });
}

/**
 * What happens between two daily runs: the processor confirms the payouts (here an UPDATE to
 * paid, the row change payout_paid events make; an open payout would block the next run), and
 * the restaurants take charges. Each small restaurant gets STEADY_EVENTS_PER_RESTAURANT new
 * charges, received today and occurred 8 days ago, so available today after the 7-day window:
 * sent through the batch route, EVENT_BATCH_MAX a request, STEADY_SENDERS requests at a time.
 */
async function prepareSteadyState(ctx: LedgerContext, firstRunId: string): Promise<SteadyStatePreparation> {
  const paidPayouts = await withClient(ctx.ledgerUrl, async (client) => {
    const { rowCount } = await client.query(`UPDATE payouts SET status = 'paid', paid_at = now() WHERE run_id = $1 AND status = 'created'`, [firstRunId]);
    return rowCount ?? 0;
  });
  ctx.log(`steady state: ${paidPayouts.toLocaleString('en-US')} payouts of the first run marked paid`);
  const events = dayOfCharges(new Date());
  ctx.log(`steady state: ${events.length.toLocaleString('en-US')} new charges for ${STEADY_RESTAURANTS.toLocaleString('en-US')} restaurants through POST ${BATCH_ROUTE}`);
  const batches: unknown[][] = [];
  for (let i = 0; i < events.length; i += EVENT_BATCH_MAX) batches.push(events.slice(i, i + EVENT_BATCH_MAX));
  const startedMs = performance.now();
  let next = 0;
  const sender = async (): Promise<void> => {
    for (let batch = batches[next++]; batch !== undefined; batch = batches[next++]) {
      const response = await fetch(`${ctx.server.url}${BATCH_ROUTE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch }),
      });
      const text = await response.text();
      const created = Number(BATCH_CREATED.exec(text)?.[1] ?? Number.NaN);
      if (response.status !== 200 || created !== batch.length) {
        throw new Error(`POST ${BATCH_ROUTE} answered ${response.status} with ${created} of ${batch.length} created: ${text.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: STEADY_SENDERS }, sender));
  const ingestSeconds = (performance.now() - startedMs) / 1000;
  ctx.log(`steady state: ingested in ${ingestSeconds.toFixed(1)} s`);
  return { paidPayouts, restaurants: STEADY_RESTAURANTS, events: events.length, ingestSeconds };
}

/** One day of charges for res_bg_00001 … res_bg_10000, occurred 8 days before `now`, an hour apart. */
function dayOfCharges(now: Date): unknown[] {
  const tag = now.getTime().toString(36);
  const events: unknown[] = [];
  for (let n = 1; n <= STEADY_RESTAURANTS; n += 1) {
    const restaurant = `res_bg_${String(n).padStart(5, '0')}`;
    for (let i = 0; i < STEADY_EVENTS_PER_RESTAURANT; i += 1) {
      const amount = 1_000 + ((n * 7_919 + i * 104_729) % 50_000);
      events.push({
        event_id: `steady_${tag}_${restaurant}_${i}`,
        event_type: 'charge_succeeded',
        occurred_at: new Date(now.getTime() - 8 * DAY_MS + i * HOUR_MS).toISOString(),
        restaurant_id: restaurant,
        currency: CURRENCY,
        amount,
        fee: Math.floor((amount * 3) / 100),
        metadata: { payment_id: `pay_steady_${n}_${i}` },
      });
    }
  }
  return events;
}

interface PayoutRunView {
  run_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created: number;
  skipped: Record<string, number>;
  cutoff: string | null;
  requested_at: string;
  finished_at: string | null;
}

async function runPayout(ctx: LedgerContext, kind: PayoutKind, asOf: string): Promise<PayoutFigure> {
  ctx.log(`payout run (${kind === 'first' ? 'first' : 'steady state'}): POST /v1/payouts/run {currency: ${CURRENCY}, as_of: ${asOf}}, polling until it finishes`);
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
    kind, asOf, cutoff: run.cutoff,
    runId: run.run_id, status: run.status, attempts: run.attempts, lastError: run.last_error, statementTimeoutMs: ctx.statementTimeoutMs,
    wallSeconds, serverSeconds, created: run.created, skipped: run.skipped,
  };
  if (run.finished_at !== null && run.created > 0) {
    figure.batches = await attempt(ctx.results, `payout batches (${kind})`, ctx.log, () => payoutBatches(ctx.ledgerUrl, run.run_id, new Date(run.finished_at as string)));
    figure.settledEntries = await attempt(ctx.results, `payout settlements (${kind})`, ctx.log, () => settledEntries(ctx.ledgerUrl, run.run_id));
  }
  ctx.log(`payout run (${kind}): ${run.status} in ${(serverSeconds ?? wallSeconds).toFixed(2)} s, ${run.created.toLocaleString('en-US')} payouts`);
  return figure;
}

/**
 * How many entries payout p settled, its own payout entry left out: those between its settlement
 * frontier and the prior one (docs/adr/0006-payout-settlement-frontier.md).
 */
const SETTLED_COUNT = `(SELECT count(*) FROM ledger_entries le
  WHERE le.restaurant_id = p.restaurant_id AND le.currency = p.currency AND le.entry_type <> 'payout'
    AND le.id <= p.settled_through_entry_id AND le.available_at <= p.cutoff
    AND NOT (le.id <= p.prior_through_entry_id AND le.available_at <= p.prior_cutoff))`;

/** The ledger entries the run's payouts settled, their own payout entries left out. */
async function settledEntries(ledgerUrl: string, runId: string): Promise<number> {
  return withClient(ledgerUrl, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `SELECT SUM(${SETTLED_COUNT})::text AS n FROM payouts p WHERE p.run_id = $1`,
      [runId],
    );
    return Number(rows[0]?.n ?? 0);
  });
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
      `SELECT p.restaurant_id AS restaurant, ${SETTLED_COUNT}::text AS entries
         FROM payouts p
        WHERE p.run_id = $1 AND p.created_at = $2
        ORDER BY ${SETTLED_COUNT} DESC LIMIT 3`,
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
