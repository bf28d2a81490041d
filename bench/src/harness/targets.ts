import { ceilingOf, type RawFigure } from './raw-ceiling.ts';
import type { BenchResults, HttpFigure, PayoutKind } from './results.ts';

/** The targets (issue 7), each measured within one run. */
export const SINGLE_RATIO_MIN = 0.5;
export const REPLAY_RATIO_MIN = 0.5;
export const BATCH_RATIO_MIN = 0.7;
export const BALANCE_P99_MS_MAX = 5;
export const PAYOUT_SECONDS_MAX = 10;
/** The restaurant whose balance latency the target is about. */
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

export function evaluateTargets(results: BenchResults, singleConnections: number, targetBatchSize: number | undefined): TargetOutcome[] {
  const http = (workload: HttpFigure['workload'], match: (figure: HttpFigure) => boolean) =>
    results.http.find((figure) => figure.workload === workload && match(figure));
  const ratioTarget = (target: string, figure: HttpFigure | undefined, min: number): TargetOutcome => {
    const ratio = figure === undefined ? undefined : ratioToCeiling(results.raw, figure);
    if (ratio === undefined) return { target, measured: '-', verdict: 'NO FIGURE' };
    return { target, measured: `${(ratio * 100).toFixed(0)}%`, verdict: ratio >= min ? 'PASS' : 'MISS' };
  };
  const hot = results.balances.find((balance) => balance.restaurant === HOT_RESTAURANT)?.http;
  const payoutTarget = (kind: PayoutKind, label: string): TargetOutcome => {
    const target = `payout run over 10k restaurants < ${PAYOUT_SECONDS_MAX} s: ${label}`;
    const payout = results.payouts.find((figure) => figure.kind === kind);
    if (payout?.status !== 'completed') return { target, measured: payout?.status ?? '-', verdict: 'NO FIGURE' };
    const seconds = payout.serverSeconds ?? payout.wallSeconds;
    return { target, measured: `${seconds.toFixed(1)} s`, verdict: seconds < PAYOUT_SECONDS_MAX ? 'PASS' : 'MISS' };
  };
  return [
    ratioTarget(`single-event HTTP at ${singleConnections} connections ≥ ${SINGLE_RATIO_MIN * 100}% of the raw single-event ceiling`, http('single', (f) => f.connections === singleConnections), SINGLE_RATIO_MIN),
    ratioTarget(`replays ≥ ${REPLAY_RATIO_MIN * 100}% of the raw replay ceiling`, http('replay', () => true), REPLAY_RATIO_MIN),
    ratioTarget(`batch route (${targetBatchSize ?? '?'} per request) ≥ ${BATCH_RATIO_MIN * 100}% of the raw ${targetBatchSize ?? '?'}-per-transaction ceiling`, http('batch', (f) => f.eventsPerRequest === targetBatchSize), BATCH_RATIO_MIN),
    hot === undefined || hot.count === 0
      ? { target: `balance p99 < ${BALANCE_P99_MS_MAX} ms with 1M entries`, measured: '-', verdict: 'NO FIGURE' }
      : { target: `balance p99 < ${BALANCE_P99_MS_MAX} ms with 1M entries`, measured: `${hot.p99Ms.toFixed(1)} ms`, verdict: hot.p99Ms < BALANCE_P99_MS_MAX ? 'PASS' : 'MISS' },
    payoutTarget('first', 'the first run ever over the seeded ledger (nothing settled yet, the 1M-entry restaurant included)'),
    payoutTarget('steady', 'steady state, the next day\'s run after one day of new charges'),
  ];
}
