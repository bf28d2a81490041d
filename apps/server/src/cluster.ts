import cluster, { type Worker } from 'node:cluster';
import { migrateToLatest, openDatabase } from '@restaurant-ledger/core';
import type { Logger } from 'pino';
import { AggregatorRegistry, type PrometheusContentType, type Registry } from 'prom-client';
import type { ServerConfig } from './config.ts';
import { CLUSTER_METRICS_TIMEOUT_MS, WORKER_RESTART_DELAY_MS } from './edge-limits.ts';

/**
 * LEDGER_WORKERS > 1: a primary process that serves nothing itself and N node:cluster workers that
 * each run the whole server (its own pool, payout worker, scheduler, checkpointer) on the shared
 * port (docs/scaling.md#workers, docs/adr/0005-cluster-and-shared-rate-limits.md). The primary
 * migrates once, forks, replaces a worker that dies, sums the workers' metrics for /metrics, and on
 * SIGTERM asks every worker to drain and waits for them.
 */

/** Which worker slot (1..N) a worker fills; a replacement takes the slot of the one it replaces. */
const SLOT_VARIABLE = 'LEDGER_WORKER_SLOT';
const SHUTDOWN = 'ledger:shutdown';
const METRICS_REQUEST = 'ledger:metrics-request';
const METRICS_RESPONSE = 'ledger:metrics-response';

type ClusterMessage =
  | { type: typeof SHUTDOWN }
  | { type: typeof METRICS_REQUEST; id: number }
  | { type: typeof METRICS_RESPONSE; id: number; text?: string; error?: string };

function isMessage<T extends ClusterMessage['type']>(message: unknown, type: T): message is Extract<ClusterMessage, { type: T }> {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** This worker's slot (1..N), or undefined outside a cluster worker. */
export function workerSlot(): number | undefined {
  return cluster.isWorker ? Number(process.env[SLOT_VARIABLE]) : undefined;
}

export interface ClusterPrimary {
  /** Asks every worker to drain and resolves, once all have exited, with the exit code the primary should give. */
  stop(): Promise<number>;
  /** Ends every worker at once (a second signal). */
  kill(): void;
}

/**
 * Migrates the database once, then forks `config.workers` workers and resolves once every one of
 * them listens. A worker that exits before it listens fails the start (the others are stopped): a
 * port in use or an unreachable database would fail every replacement too.
 */
export async function startClusterPrimary(config: ServerConfig, logger: Logger): Promise<ClusterPrimary> {
  await migrateOnce(config, logger);
  const aggregator = new AggregatorRegistry<PrometheusContentType>();
  cluster.on('message', (worker, message: unknown) => {
    if (isMessage(message, METRICS_REQUEST)) answerMetrics(aggregator, worker, message.id);
  });
  const slots = new Map<number, Worker>();
  /** Workers that listen, so have their shutdown handler; one still starting is sent SIGTERM instead. */
  const serving = new WeakSet<Worker>();
  let stopping = false;
  const fork = (slot: number): Promise<void> => {
    const worker = cluster.fork({ [SLOT_VARIABLE]: String(slot) });
    slots.set(slot, worker);
    return new Promise((resolve, reject) => {
      worker.once('listening', () => {
        serving.add(worker);
        resolve();
      });
      worker.once('exit', (code, signal) => {
        if (slots.get(slot) === worker) slots.delete(slot);
        reject(new Error(`worker ${slot} exited (${signal ?? code}) before it listened`));
        if (stopping) return;
        logger.error({ worker: slot, pid: worker.process.pid, code, signal }, `worker exited; a new one starts in ${WORKER_RESTART_DELAY_MS} ms`);
        setTimeout(() => {
          if (!stopping) fork(slot).catch((error: unknown) => logger.error({ err: error, worker: slot }, 'replacement worker did not start'));
        }, WORKER_RESTART_DELAY_MS);
      });
    });
  };
  const everyWorkerExited = () =>
    Promise.all([...slots.values()].map((worker) => new Promise<number>((resolve) => {
      if (worker.isDead()) resolve(worker.process.exitCode ?? 1);
      else worker.once('exit', (code) => resolve(code ?? 1));
    })));
  const stop = async (): Promise<number> => {
    stopping = true;
    const exited = everyWorkerExited();
    // A message, not a signal: with Ctrl-C the workers get their own SIGINT too, and a second
    // signal would mean "exit without draining".
    for (const worker of slots.values()) {
      if (serving.has(worker) && worker.isConnected()) worker.send({ type: SHUTDOWN } satisfies ClusterMessage);
      else worker.process.kill('SIGTERM');
    }
    const codes = await exited;
    return codes.every((code) => code === 0) ? 0 : 1;
  };
  try {
    await Promise.all(Array.from({ length: config.workers }, (_, i) => fork(i + 1)));
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ workers: config.workers, port: config.port }, 'restaurant-ledger cluster listening');
  return {
    stop,
    kill: () => {
      stopping = true;
      for (const worker of slots.values()) worker.process.kill('SIGKILL');
    },
  };
}

/** Migrations once, before any worker starts (Kysely's migration lock would also make N concurrent runs safe). */
async function migrateOnce(config: ServerConfig, logger: Logger): Promise<void> {
  const database = await openDatabase(config.database);
  try {
    const { results } = await migrateToLatest(database.db);
    if ((results?.length ?? 0) > 0) logger.info({ applied: results?.map((result) => result.migrationName) }, 'migrations applied');
  } finally {
    await database.close();
  }
}

function answerMetrics(aggregator: AggregatorRegistry<PrometheusContentType>, worker: Worker, id: number): void {
  const reply = (answer: Omit<Extract<ClusterMessage, { type: typeof METRICS_RESPONSE }>, 'type' | 'id'>) => {
    if (worker.isConnected()) worker.send({ type: METRICS_RESPONSE, id, ...answer } satisfies ClusterMessage);
  };
  aggregator.clusterMetrics().then(
    (text) => reply({ text }),
    (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
  );
}

/**
 * In a worker: hands `registry` to the primary (which asks every worker for theirs on each scrape)
 * and returns the scrape that /metrics answers with, the sum over all workers.
 */
export function shareMetricsWithPrimary(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs the worker's side of prom-client's protocol: it answers the primary.
  new AggregatorRegistry();
  const waiting = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isMessage(message, METRICS_RESPONSE)) return;
    const request = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.text !== undefined) request?.resolve(message.text);
    else request?.reject(new Error(`the primary could not gather the workers' metrics: ${message.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the primary did not send the workers' metrics within ${CLUSTER_METRICS_TIMEOUT_MS} ms`));
      }, CLUSTER_METRICS_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send?.({ type: METRICS_REQUEST, id } satisfies ClusterMessage);
    });
}

/** In a worker: `drain` runs when the primary asks this worker to shut down. */
export function onShutdownRequest(drain: () => void): void {
  process.on('message', (message: unknown) => {
    if (isMessage(message, SHUTDOWN)) drain();
  });
}
