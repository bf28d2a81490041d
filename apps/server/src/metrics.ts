import { type BatchItemOutcome, INGESTIBLE_EVENT_TYPES, type PayoutRunOutcome, type PoolStats } from '@restaurant-ledger/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WireError } from './edge-errors.ts';

/** What became of one event sent to the ledger (webhook, batch item or SDK call). */
export type EventOutcome = 'created' | 'idempotent' | 'conflict' | 'rejected' | 'failed';

/** An event refused by the ledger: a conflict, a client error (rejected), or a failure on our side. */
export function eventOutcomeOfError(error: WireError): EventOutcome {
  if (error.code === 'EVENT_ID_CONFLICT') return 'conflict';
  return error.code === 'INTERNAL_ERROR' || error.code === 'SERVICE_UNAVAILABLE' ? 'failed' : 'rejected';
}

/** Counts each event of a batch by its type (as sent, when it was refused) and outcome. */
export function countBatchOutcomes(metrics: LedgerMetrics, sent: readonly unknown[], outcomes: readonly BatchItemOutcome[]): void {
  for (const { index, result, error } of outcomes) {
    if (result !== undefined) {
      metrics.eventOutcome(result.event.event_type, result.idempotent ? 'idempotent' : 'created');
    } else {
      const raw = sent[index];
      metrics.eventOutcome(typeof raw === 'object' && raw !== null ? (raw as { event_type?: unknown }).event_type : undefined, eventOutcomeOfError(error));
    }
  }
}

/** Request latency buckets in seconds: from a cached probe (1 ms) to a slow batch (10 s). */
const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface LedgerMetrics {
  readonly registry: Registry;
  /**
   * What GET /metrics answers, in `registry.contentType`: this process's metrics, or in a cluster
   * worker every worker's, summed by the primary (docs/scaling.md#workers).
   */
  scrape(): Promise<string>;
  eventOutcome(eventType: unknown, outcome: EventOutcome): void;
  payoutRunSettled(outcome: PayoutRunOutcome): void;
  /** `route` is a template (`/v1/payouts/{payout_id}`), never a raw URL: label values stay few. */
  requestFinished(method: string, route: string, status: number, seconds: number): void;
}

/**
 * Prometheus metrics, in a registry of their own (one per app, so tests can start several).
 * Every label takes a small, fixed set of values: event types outside the known ones count as
 * `unknown`, routes are templates.
 */
export function createMetrics(poolStats: () => PoolStats, options: { share?: (registry: Registry) => () => Promise<string> } = {}): LedgerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const events = new Counter({
    name: 'ledger_events_total',
    help: 'Processor events received, by event_type and outcome (created, idempotent, conflict, rejected, failed)',
    labelNames: ['event_type', 'outcome'] as const,
    registers: [registry],
  });
  const payoutRuns = new Counter({
    name: 'ledger_payout_runs_total',
    help: 'Payout runs settled by a worker, by outcome (completed, failed, retry_queued, released)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  // Read at scrape time, so the gauge is always the pool's state now.
  new Gauge({
    name: 'ledger_db_pool_connections',
    help: 'Database pool connections by state: in_use, idle, waiting (queries queued for a connection), max',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStats();
      this.set({ state: 'in_use' }, stats.inUse);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
      this.set({ state: 'max' }, stats.max);
    },
  });
  const knownTypes: ReadonlySet<unknown> = new Set(INGESTIBLE_EVENT_TYPES);
  return {
    registry,
    scrape: options.share?.(registry) ?? (() => registry.metrics()),
    eventOutcome: (eventType, outcome) => events.inc({ event_type: knownTypes.has(eventType) ? String(eventType) : 'unknown', outcome }),
    payoutRunSettled: (outcome) => payoutRuns.inc({ outcome }),
    requestFinished: (method, route, status, seconds) => latency.observe({ method, route, status: String(status) }, seconds),
  };
}
