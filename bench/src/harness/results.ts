import type { BenchConfig } from './config.ts';
import type { CpuProfileSummary } from './cpu-profile.ts';
import type { LoadResult } from './http-load.ts';
import type { RawFigure, RawWorkload } from './raw-ceiling.ts';
import type { SealingFigure } from './seal-phase.ts';
import type { RunningServer } from './server-process.ts';
import type { LatencySummary } from './stats.ts';

/** Which process an HTTP figure measured: the real server, or the bare-Node baseline around its statement. */
export type HttpTarget = 'service' | 'bare-node';

/** One autocannon measurement of the service (or the bare-Node baseline), and the raw workload it is compared with. */
export interface HttpFigure {
  label: string;
  target: HttpTarget;
  workload: RawWorkload;
  connections: number;
  /** Events in each request: 1 on the single route, the batch size on the batch route. */
  eventsPerRequest: number;
  result: LoadResult;
}

/** The balance checkpoint a balance figure starts from, as the server left it before the measurements. */
export interface BalanceCheckpointState {
  /** A read must read more entries than this beyond its checkpoint to ask the server for a new one. */
  threshold: number;
  /** The restaurant's latest checkpoint, when it has one: the entries it read, and how long the harness waited for it. */
  latest?: { entriesRead: number; waitedSeconds: number };
}

export interface BalanceFigure {
  restaurant: string;
  entries: number;
  checkpoint?: BalanceCheckpointState;
  /** The balance SQL alone, through pgbench on one connection. */
  raw?: LatencySummary;
  /** GET /v1/restaurants/{id}/balance on one connection. */
  http?: LoadResult;
}

/** Balance reads of one restaurant under concurrent load: GET /v1/restaurants/{id}/balance on `connections`, of the service or the bare-Node baseline. */
export interface BalanceLoadFigure {
  target: HttpTarget;
  restaurant: string;
  entries: number;
  connections: number;
  result: LoadResult;
}

/** One statement page (GET /v1/restaurants/{id}/statement) at a position of the history, by its keyset cursor. */
export interface StatementPageFigure {
  restaurant: string;
  /** Entries before the page, in statement order. */
  position: number;
  limit: number;
  /** Sequential requests, one connection. */
  latency: LatencySummary;
}

/** The statement checkpoint the server wrote for the hot restaurant before the pages were measured. */
export interface StatementCheckpointState {
  entriesRead: number;
  marks: number;
  /** From the first page to the checkpoint in the table. */
  waitedSeconds: number;
}

/** How a payout run's time split between its batches, read back from the payouts it created. */
export interface PayoutBatches {
  /** Batches that created at least one payout (one created_at each). */
  count: number;
  slowestSeconds: number;
  /** The restaurants of the slowest batch that settled the most entries. */
  slowestLargest: Array<{ restaurant: string; entries: number }>;
  /** All the other batches together. */
  othersSeconds: number;
}

/** Which payout run: the first ever over the seeded ledger, or the next day's after one day of new charges. */
export type PayoutKind = 'first' | 'steady';

/** What the harness did between the first run and the steady-state one. */
export interface SteadyStatePreparation {
  /** The first run's payouts marked paid, as payout_paid events would. */
  paidPayouts: number;
  restaurants: number;
  events: number;
  /** Through the batch route, from the first request to the last answer. */
  ingestSeconds: number;
}

export interface PayoutFigure {
  kind: PayoutKind;
  asOf: string;
  /** The run's cutoff, as the server fixed it. */
  cutoff: string | null;
  /** Entries its payouts settled (their own payout entries excluded). */
  settledEntries?: number;
  preparation?: SteadyStatePreparation;
  runId: string;
  status: string;
  attempts: number;
  lastError: string | null;
  /** The server's statement timeout during the run. */
  statementTimeoutMs: number;
  /** From the request to the run's completion as this process saw it (polled). */
  wallSeconds: number;
  /** requested_at to finished_at, as the server recorded them. */
  serverSeconds: number | undefined;
  created: number;
  skipped: Record<string, number>;
  batches?: PayoutBatches;
}

export interface RssFigure {
  server: string;
  phase: string;
  peakMb: number;
}

export interface StepError {
  step: string;
  message: string;
}

/** Everything one `pnpm bench` run measured, filled in as it goes; a failed step leaves its figure out and an error in. */
export interface BenchResults {
  raw: RawFigure[];
  http: HttpFigure[];
  balances: BalanceFigure[];
  balanceLoads: BalanceLoadFigure[];
  statementPages: StatementPageFigure[];
  statementCheckpoint?: StatementCheckpointState;
  /** The first payout run, then (when it completed) the steady-state one. */
  payouts: PayoutFigure[];
  rss: RssFigure[];
  /** Single-event ingestion with the ledger sealer off and on (the seal phase). */
  sealing?: SealingFigure;
  /** Where each server's CPU went, when the run was profiled (BENCH_CPU_PROFILE_DIR). */
  profiles: Array<{ phase: string; summary: CpuProfileSummary }>;
  errors: StepError[];
}

/** What every phase works with: the knobs, the server it measures, where figures go, and the log. */
export interface PhaseContext {
  config: BenchConfig;
  server: RunningServer;
  results: BenchResults;
  log: (line: string) => void;
}

export function emptyResults(): BenchResults {
  return { raw: [], http: [], balances: [], balanceLoads: [], statementPages: [], payouts: [], rss: [], profiles: [], errors: [] };
}

/**
 * Runs one step; a failure is recorded and the run goes on with the next, so one broken figure
 * (a script the SQL moved under, a busy template) does not cost the others.
 */
export async function attempt<T>(results: BenchResults, step: string, log: (line: string) => void, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.errors.push({ step, message });
    log(`ERROR in ${step}: ${message}`);
    return undefined;
  }
}
