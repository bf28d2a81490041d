/**
 * What the shared rate limits cost on the hot path (docs/adr/0005-cluster-and-shared-rate-limits.md):
 * `tsx bench/src/rate-limit-cost.ts`. `pnpm bench` runs the server with the limits off; this runs
 * the single-event route (new charges, 201) at BENCH_CONNECTIONS (16) with the limits
 *
 * - `off` (as `pnpm bench` does),
 * - `slices of 100,000` (a webhook limit of 10,000,000 a minute: the claims are too rare to count,
 *   so this is the per-request work in memory: a map lookup, two headers),
 * - `slices of 10` (1,000 a second: one claim statement every 10 requests, below the limit at
 *   the rates this machine reaches; any 429 is counted and reported),
 *
 * interleaved over BENCH_ROUNDS rounds (default 2) against one fresh database, each server warmed up
 * first. Beside them, pgbench measures the claim statement alone (bench/pgbench/rate-limit-claim.sql:
 * one hot client, one request per claim, the worst case) and the single-event ceiling, both
 * -M prepared at the same connections, so the statement's cost reads against the ingest statement's.
 * Other knobs as `pnpm bench` (BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_DATABASE_URL); LEDGER_*
 * variables pass through to the server (LEDGER_WORKERS=2, say).
 */
import { execFileSync } from 'node:child_process';
import { chargeSequence } from './harness/charges.ts';
import { loadBenchConfig } from './harness/config.ts';
import { createMigratedDatabase, databaseName, dropDatabase, runDatabasesPrefix } from './harness/databases.ts';
import { type LoadResult, runLoad } from './harness/http-load.ts';
import { measureRaw, prepareRawDatabase, rawIngestScenarios } from './harness/raw-ceiling.ts';
import { startNodeProcess, stopRunningServers } from './harness/server-process.ts';

const config = loadBenchConfig(process.env);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SERVER_DIR = new URL('../../apps/server/', import.meta.url);

const MODES = [
  { name: 'off', env: { LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '0' } },
  { name: 'slices of 100,000', env: { LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '10000000', LEDGER_RATE_LIMIT_WINDOW_MS: '60000' } },
  { name: 'slices of 10', env: { LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '1000', LEDGER_RATE_LIMIT_WINDOW_MS: '1000' } },
] as const;

const log = (line: string) => console.error(`[rate-limit-cost] ${line}`);
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

function ledgerVariables(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('LEDGER_') && entry[1] !== undefined));
}

async function measureMode(databaseUrl: string, mode: (typeof MODES)[number], round: number): Promise<LoadResult> {
  const server = await startNodeProcess({
    cwd: SERVER_DIR,
    script: 'src/main.ts',
    nodeArgs: [],
    env: { ...ledgerVariables(), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', LEDGER_RATE_LIMIT_PER_KEY: '0', LEDGER_RATE_LIMIT_PER_IP: '0', ...mode.env },
    log: (line) => log(line),
  });
  try {
    const next = chargeSequence(`rl_${round}_${mode.name.replace(/\W+/g, '_')}_${Date.now().toString(36)}`);
    const spec = { baseUrl: server.url, method: 'POST' as const, path: '/v1/processor/events', connections: config.singleConnections, expectedStatus: 201, body: () => JSON.stringify(next()) };
    if (config.warmupSeconds > 0) await runLoad({ ...spec, seconds: config.warmupSeconds });
    // The 1 s windows of `slices of 10` start afresh after the warm-up's.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return await runLoad({ ...spec, seconds: config.throughputSeconds });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const prefix = runDatabasesPrefix(new Date());
  const loadAtStart = uptime();
  const rawUrl = await createMigratedDatabase(config.adminUrl, `${prefix}_raw`);
  const serviceUrl = await createMigratedDatabase(config.adminUrl, `${prefix}_service`);
  try {
    await prepareRawDatabase(rawUrl, 1);
    const single = rawIngestScenarios(config).find((scenario) => scenario.id === 'single-prepared');
    if (single === undefined) throw new Error('no single-prepared scenario');
    const claim = { ...single, id: 'claim-prepared', script: 'rate-limit-claim.sql', variables: {} };
    const rows: string[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const scenario of [single, claim]) {
        const figure = await measureRaw(config, rawUrl, scenario, round);
        log(`${scenario.id}: ${figure.result.tps.toFixed(0)}/s, ${figure.result.latencyAvgMs.toFixed(2)} ms`);
        rows.push(`| ${round} | pgbench ${scenario.script} -M prepared, ${scenario.clients} clients | ${figure.result.tps.toFixed(0)} statements/s | avg ${figure.result.latencyAvgMs.toFixed(2)} ms | | |`);
      }
      for (const mode of MODES) {
        const result = await measureMode(serviceUrl, mode, round);
        const refused = Object.entries(result.unexpected).map(([status, n]) => `${n}× ${status}`).join(', ') || 'none';
        log(`service, limits ${mode.name}: ${result.itemsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, other statuses ${refused}`);
        rows.push(`| ${round} | service, single event, rate limit ${mode.name} | ${result.itemsPerSecond.toFixed(0)} req/s (201) | p50 ${result.p50Ms.toFixed(1)} ms | p99 ${result.p99Ms.toFixed(1)} ms | ${refused} |`);
      }
    }
    console.log(`load at start: ${loadAtStart}\nload at end: ${uptime()}\n`);
    console.log('| round | what | rate | latency | p99 | other statuses |\n|---:|---|---:|---:|---:|---|');
    console.log(rows.join('\n'));
  } finally {
    await stopRunningServers();
    for (const url of [rawUrl, serviceUrl]) await dropDatabase(config.adminUrl, databaseName(url));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
