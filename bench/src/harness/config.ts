import { BENCH_DATABASE_URL_DEFAULT } from '../seed-ledger.ts';

/** Every knob of `pnpm bench`, read once from the environment (BENCH_*), each within its limits. */
export interface BenchConfig {
  /** A database on the benchmark server that this run may connect to while it creates and drops its own. */
  adminUrl: string;
  /** The seeded 2.1M-entry ledger; copied (never written) for the balance and payout figures. */
  ledgerTemplateUrl: string;
  /** Length of each throughput measurement, raw and HTTP. */
  throughputSeconds: number;
  /** Length of each balance-latency measurement, raw and HTTP. */
  latencySeconds: number;
  /** Load sent before the first measurement of a server process (JIT, pool, caches). */
  warmupSeconds: number;
  /** Connections of the single-event and replay ceilings and of the HTTP figure compared with them. */
  singleConnections: number;
  /** HTTP connections of the single-event route besides singleConnections (latency under less and more load). */
  singleConnectionsOthers: number[];
  /** Connections of the batch ceiling and the batch route. */
  batchConnections: number;
  /** Events per transaction (raw) and per request (HTTP) of the batch figures; the first is the target's. */
  batchSizes: number[];
  /** Known events the raw replay ceiling picks from at random. */
  rawKnownEvents: number;
  /** The longest a payout run may take before it is reported as an error. */
  payoutTimeoutSeconds: number;
  /**
   * The ledger-phase server's statement timeout, unless LEDGER_DB_STATEMENT_TIMEOUT_MS is set. The
   * seeded ledger's first payout of res_1m_00001 settles 1M entries in one statement, longer than
   * the service's 10 s default: with the default the run fails and gives no time at all.
   */
  ledgerStatementTimeoutMs: number;
  /**
   * A pause between the ledger server's start and its first figure, for background work that a
   * freshly copied ledger may need first (balance checkpoints written by a worker, say).
   */
  ledgerSettleSeconds: number;
  /** Which parts run: ingestion (fresh database), ledger (balances and payouts on the copy), seal (ingestion with the sealer off and on). */
  phases: Set<BenchPhase>;
  /** Leave the run's databases in place for a look afterwards. */
  keepDatabases: boolean;
  /** Where the report goes. */
  outputPath: string;
  pgbenchPath: string;
  /** When set, the servers run with --cpu-prof into this folder and the report says where their CPU went. */
  cpuProfileDir: string | undefined;
}

export const BENCH_PHASES = ['ingest', 'ledger', 'seal'] as const;
export type BenchPhase = (typeof BENCH_PHASES)[number];

/** One measurement may not take longer than this: a 10-minute run must stay a 10-minute run. */
const MEASUREMENT_SECONDS_MAX = 300;
const CONNECTIONS_MAX = 256;
/** The batch route refuses more (EVENT_BATCH_MAX). */
const BATCH_SIZE_MAX = 1_000;
const KNOWN_EVENTS_MAX = 1_000_000;

export function loadBenchConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const ledgerTemplateUrl = env.BENCH_DATABASE_URL ?? BENCH_DATABASE_URL_DEFAULT;
  const admin = new URL(ledgerTemplateUrl);
  admin.pathname = '/postgres';
  return {
    adminUrl: env.BENCH_ADMIN_URL ?? admin.toString(),
    ledgerTemplateUrl,
    throughputSeconds: integer(env, 'BENCH_SECONDS', 10, 1, MEASUREMENT_SECONDS_MAX),
    latencySeconds: integer(env, 'BENCH_LATENCY_SECONDS', 5, 1, MEASUREMENT_SECONDS_MAX),
    warmupSeconds: integer(env, 'BENCH_WARMUP_SECONDS', 3, 0, MEASUREMENT_SECONDS_MAX),
    singleConnections: integer(env, 'BENCH_CONNECTIONS', 16, 1, CONNECTIONS_MAX),
    singleConnectionsOthers: integerList(env, 'BENCH_CONNECTIONS_OTHERS', [1, 64], 1, CONNECTIONS_MAX),
    batchConnections: integer(env, 'BENCH_BATCH_CONNECTIONS', 4, 1, CONNECTIONS_MAX),
    batchSizes: integerList(env, 'BENCH_BATCH_SIZES', [100, 1_000], 1, BATCH_SIZE_MAX),
    rawKnownEvents: integer(env, 'BENCH_RAW_KNOWN_EVENTS', 20_000, 1, KNOWN_EVENTS_MAX),
    payoutTimeoutSeconds: integer(env, 'BENCH_PAYOUT_TIMEOUT_SECONDS', 180, 1, 3_600),
    ledgerStatementTimeoutMs: integer(env, 'BENCH_LEDGER_STATEMENT_TIMEOUT_MS', 120_000, 100, 3_600_000),
    ledgerSettleSeconds: integer(env, 'BENCH_LEDGER_SETTLE_SECONDS', 0, 0, MEASUREMENT_SECONDS_MAX),
    phases: phases(env.BENCH_PHASES),
    keepDatabases: env.BENCH_KEEP_DATABASES === '1',
    outputPath: env.BENCH_OUTPUT ?? new URL('../../../BENCHMARKS.md', import.meta.url).pathname,
    pgbenchPath: env.BENCH_PGBENCH ?? 'pgbench',
    cpuProfileDir: env.BENCH_CPU_PROFILE_DIR === undefined || env.BENCH_CPU_PROFILE_DIR === '' ? undefined : env.BENCH_CPU_PROFILE_DIR,
  };
}

/** The BENCH_* variables set for this run, to print beside the command that reproduces it. */
export function benchEnvironment(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('BENCH_') || name.startsWith('LEDGER_'))
    .sort()
    .map((name) => `${name}=${env[name] ?? ''}`);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name}=${raw}: expected an integer from ${min} to ${max}`);
  return value;
}

function integerList(env: NodeJS.ProcessEnv, name: string, fallback: number[], min: number, max: number): number[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === '') return [];
  return raw.split(',').map((part, i) => integer({ [`${name}[${i}]`]: part.trim() }, `${name}[${i}]`, 0, min, max));
}

function phases(raw: string | undefined): Set<BenchPhase> {
  if (raw === undefined || raw === '') return new Set(BENCH_PHASES);
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(BENCH_PHASES as readonly string[]).includes(name)) throw new Error(`BENCH_PHASES: unknown phase ${name} (known: ${BENCH_PHASES.join(', ')})`);
  }
  return new Set(names as BenchPhase[]);
}
