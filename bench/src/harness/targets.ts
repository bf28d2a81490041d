import type { LoadResult } from './http-load.ts';
import { ceilingOf, type RawFigure } from './raw-ceiling.ts';
import type { BalanceLoadFigure, BenchResults, HttpFigure, PayoutKind } from './results.ts';

/** Issue 14's targets, each measured within one run. */
export const SINGLE_BASELINE_RATIO_MIN = 0.7;
export const SINGLE_P99_MS_MAX = 15;
export const REPLAY_TO_SINGLE_MIN = 3;
export const BALANCE_REQUESTS_PER_SECOND_MIN = 4_000;
export const BALANCE_P99_MS_MAX = 5;
export const BATCH_RATIO_MIN = 0.6;
export const PAYOUT_SECONDS_MAX = 5;
export const STATEMENT_POSITION = 500_000;
export const STATEMENT_PAGE_MS_MAX = 10;
/** The restaurant whose balance and statement the targets are about (1M entries). */
export const HOT_RESTAURANT = 'res_1m_00001';

export type Verdict = 'PASS' | 'MISS' | 'NO FIGURE';

export interface TargetOutcome {
  target: string;
  measured: string;
  verdict: Verdict;
}

/** The raw figure an HTTP figure is compared with: the best rate of the same workload (and batch size) in this run. */
export function ceilingFor(raw: readonly RawFigure[], figure: HttpFigure): RawFigure | undefined {
  return ceilingOf(raw, figure.workload, figure.workload === 'batch' ? figure.eventsPerRequest : 1);
}

export function ratioToCeiling(raw: readonly RawFigure[], figure: HttpFigure): number | undefined {
  const ceiling = ceilingFor(raw, figure);
  return ceiling === undefined ? undefined : figure.result.itemsPerSecond / ceiling.eventsPerSecond;
}

/** The bare-Node figure of the same load (workload and connections) as a service figure, in this run. */
export function baselineFor(http: readonly HttpFigure[], figure: HttpFigure): HttpFigure | undefined {
  if (figure.target !== 'service') return undefined;
  return http.find((other) => other.target === 'bare-node' && other.workload === figure.workload && other.connections === figure.connections);
}

export function ratioToBaseline(http: readonly HttpFigure[], figure: HttpFigure): number | undefined {
  return rateRatio(figure, baselineFor(http, figure));
}

/** A figure's rate over its baseline's; undefined without a baseline (or one that answered nothing). */
function rateRatio(figure: { result: LoadResult }, baseline: { result: LoadResult } | undefined): number | undefined {
  return baseline === undefined || baseline.result.itemsPerSecond === 0 ? undefined : figure.result.itemsPerSecond / baseline.result.itemsPerSecond;
}

/** The bare-Node figure of the same restaurant and connections as a service balance figure, in this run. */
export function balanceBaselineFor(loads: readonly BalanceLoadFigure[], figure: BalanceLoadFigure): BalanceLoadFigure | undefined {
  if (figure.target !== 'service') return undefined;
  return loads.find((other) => other.target === 'bare-node' && other.restaurant === figure.restaurant && other.connections === figure.connections);
}

export function balanceRatioToBaseline(loads: readonly BalanceLoadFigure[], figure: BalanceLoadFigure): number | undefined {
  return rateRatio(figure, balanceBaselineFor(loads, figure));
}

const noFigure = (target: string): TargetOutcome => ({ target, measured: '-', verdict: 'NO FIGURE' });
const verdict = (met: boolean): Verdict => (met ? 'PASS' : 'MISS');
const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;

export function evaluateTargets(results: BenchResults, singleConnections: number, targetBatchSize: number | undefined): TargetOutcome[] {
  const service = (workload: HttpFigure['workload'], match: (figure: HttpFigure) => boolean) =>
    results.http.find((figure) => figure.target === 'service' && figure.workload === workload && match(figure));
  const single = service('single', (f) => f.connections === singleConnections);
  const replay = service('replay', (f) => f.connections === singleConnections);
  const batch = service('batch', (f) => f.eventsPerRequest === targetBatchSize);
  return [
    singleToBaseline(results.http, single, singleConnections),
    singleP99(single, singleConnections),
    replayToSingle(replay, single),
    ...balanceTargets(results, singleConnections),
    batchToRaw(results.raw, batch, targetBatchSize),
    payoutTarget(results, 'first', 'the first run ever over the seeded ledger (nothing settled yet, the 1M-entry restaurant included)'),
    payoutTarget(results, 'steady', 'steady state, the next day\'s run after one day of new charges'),
    statementTarget(results),
  ];
}

function singleToBaseline(http: readonly HttpFigure[], single: HttpFigure | undefined, connections: number): TargetOutcome {
  const target = `single-event webhook at c=${connections} ≥ ${percent(SINGLE_BASELINE_RATIO_MIN)} of the bare-Node baseline (same statement, same run)`;
  const ratio = single === undefined ? undefined : ratioToBaseline(http, single);
  const baseline = single === undefined ? undefined : baselineFor(http, single);
  if (ratio === undefined || single === undefined || baseline === undefined) return noFigure(target);
  const measured = `${percent(ratio)} (${whole(single.result.itemsPerSecond)} vs ${whole(baseline.result.itemsPerSecond)} req/s)`;
  return { target, measured, verdict: verdict(ratio >= SINGLE_BASELINE_RATIO_MIN) };
}

function singleP99(single: HttpFigure | undefined, connections: number): TargetOutcome {
  const target = `single-event webhook p99 < ${SINGLE_P99_MS_MAX} ms at c=${connections}`;
  if (single === undefined || single.result.count === 0) return noFigure(target);
  return { target, measured: `${single.result.p99Ms.toFixed(1)} ms`, verdict: verdict(single.result.p99Ms < SINGLE_P99_MS_MAX) };
}

function replayToSingle(replay: HttpFigure | undefined, single: HttpFigure | undefined): TargetOutcome {
  const target = `replay ≥ ${REPLAY_TO_SINGLE_MIN}× the single-event rate (service, same connections)`;
  if (replay === undefined || single === undefined || single.result.itemsPerSecond === 0) return noFigure(target);
  const ratio = replay.result.itemsPerSecond / single.result.itemsPerSecond;
  return { target, measured: `${ratio.toFixed(2)}× (${whole(replay.result.itemsPerSecond)} vs ${whole(single.result.itemsPerSecond)} req/s)`, verdict: verdict(ratio >= REPLAY_TO_SINGLE_MIN) };
}

/**
 * The balance targets are absolute; the bare-Node figure of the same load (measured just before) is
 * context in the measured text: how much of a miss is the machine, how much the stack.
 */
function balanceTargets(results: BenchResults, connections: number): TargetOutcome[] {
  const load = results.balanceLoads.find((figure) => figure.target === 'service' && figure.restaurant === HOT_RESTAURANT && figure.connections === connections);
  const rate = `balance reads ≥ ${whole(BALANCE_REQUESTS_PER_SECOND_MIN)} req/s at c=${connections} (1M entries, one restaurant)`;
  const p99 = `balance reads p99 < ${BALANCE_P99_MS_MAX} ms at c=${connections} (1M entries, one restaurant)`;
  if (load === undefined || load.result.count === 0) return [noFigure(rate), noFigure(p99)];
  const baseline = balanceBaselineFor(results.balanceLoads, load);
  const ratio = balanceRatioToBaseline(results.balanceLoads, load);
  const rateContext = ratio === undefined || baseline === undefined ? '' : ` (${percent(ratio)} of bare-Node's ${whole(baseline.result.itemsPerSecond)} req/s, same load, same run)`;
  const p99Context = baseline === undefined ? '' : ` (bare-Node ${baseline.result.p99Ms.toFixed(1)} ms)`;
  return [
    { target: rate, measured: `${whole(load.result.itemsPerSecond)} req/s${rateContext}`, verdict: verdict(load.result.itemsPerSecond >= BALANCE_REQUESTS_PER_SECOND_MIN) },
    { target: p99, measured: `${load.result.p99Ms.toFixed(1)} ms${p99Context}`, verdict: verdict(load.result.p99Ms < BALANCE_P99_MS_MAX) },
  ];
}

function batchToRaw(raw: readonly RawFigure[], batch: HttpFigure | undefined, size: number | undefined): TargetOutcome {
  const target = `batch route (${size ?? '?'} per request) ≥ ${percent(BATCH_RATIO_MIN)} of raw ${size ?? '?'}-per-transaction SQL`;
  const ratio = batch === undefined ? undefined : ratioToCeiling(raw, batch);
  if (ratio === undefined) return noFigure(target);
  return { target, measured: percent(ratio), verdict: verdict(ratio >= BATCH_RATIO_MIN) };
}

function payoutTarget(results: BenchResults, kind: PayoutKind, label: string): TargetOutcome {
  const target = `payout run over 10k restaurants < ${PAYOUT_SECONDS_MAX} s: ${label}`;
  const payout = results.payouts.find((figure) => figure.kind === kind);
  if (payout?.status !== 'completed') return { target, measured: payout?.status ?? '-', verdict: 'NO FIGURE' };
  const seconds = payout.serverSeconds ?? payout.wallSeconds;
  return { target, measured: `${seconds.toFixed(1)} s`, verdict: verdict(seconds < PAYOUT_SECONDS_MAX) };
}

function statementTarget(results: BenchResults): TargetOutcome {
  const target = `statement page at position ${whole(STATEMENT_POSITION)} < ${STATEMENT_PAGE_MS_MAX} ms (1M entries, p50 of sequential requests)`;
  const page = results.statementPages.find((figure) => figure.restaurant === HOT_RESTAURANT && figure.position === STATEMENT_POSITION);
  if (page === undefined || page.latency.count === 0) return noFigure(target);
  return { target, measured: `${page.latency.p50Ms.toFixed(1)} ms (p99 ${page.latency.p99Ms.toFixed(1)} ms)`, verdict: verdict(page.latency.p50Ms < STATEMENT_PAGE_MS_MAX) };
}

function whole(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
