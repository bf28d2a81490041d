import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadBenchConfig } from './harness/config.ts';
import { findCpuProfile, type ProfileWindow, profileTables, shareText, summarizeCpuProfile } from './harness/cpu-profile.ts';
import { copyDatabase, dropDatabase, RUN_DATABASE_PREFIX, withClient } from './harness/databases.ts';
import { loadProblems, runLoad } from './harness/http-load.ts';
import { describeMachine, loadAverage } from './harness/machine.ts';
import { runPgbench } from './harness/pgbench.ts';
import { startServer } from './harness/server-process.ts';
import { HOT_RESTAURANT } from './harness/targets.ts';

/**
 * `tsx bench/src/profile-balance.ts`: where a balance read's time goes, for issue 14's balance
 * target. On a copy of the seeded ledger, the real server runs under `node --cpu-prof`; one read
 * asks its background checkpointer for the 1M-entry restaurant's balance checkpoint, and once it is
 * written: BENCH_SECONDS (15) of `GET /v1/restaurants/res_1m_00001/balance?currency=PEN` at
 * BENCH_CONNECTIONS (16), profiled, then the balance SQL alone through pgbench on as many clients
 * (bench/pgbench/balance.sql, -M prepared as the service sends it). Prints markdown: both figures,
 * the load average at start and end, the server's CPU per request and where it went.
 */
const TOP_FUNCTIONS = 25;
const PAUSE_MS = 1_000;
const CHECKPOINT_WAIT_MS = 120_000;
const log = (line: string): void => console.error(`[profile] ${line}`);
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

const config = loadBenchConfig({ BENCH_SECONDS: '15', ...process.env });
const seconds = config.throughputSeconds;
const connections = config.singleConnections;
const path = `/v1/restaurants/${HOT_RESTAURANT}/balance?currency=PEN`;
const loadAtStart = loadAverage();
const machine = await describeMachine(config.adminUrl, config.pgbenchPath);
const profileDir = config.cpuProfileDir ?? mkdtempSync(join(tmpdir(), 'perf-bench-profile-'));
const name = `${RUN_DATABASE_PREFIX}profile_${Date.now().toString(36)}`;
const url = await copyDatabase(config.adminUrl, new URL(config.ledgerTemplateUrl).pathname.slice(1), name, log);
try {
  const server = await startServer(url, log, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
  const load = (duration: number) => ({ baseUrl: server.url, method: 'GET' as const, path, connections, seconds: duration, expectedStatus: 200 });
  let window: ProfileWindow;
  let result;
  try {
    await (await fetch(`${server.url}${path}`)).arrayBuffer();
    await waitForCheckpoint(url);
    log(`warm-up: ${config.warmupSeconds} s at ${connections} connections`);
    await runLoad(load(config.warmupSeconds));
    await sleep(PAUSE_MS);
    log(`measuring: ${seconds} s at ${connections} connections`);
    const startUs = monotonicUs();
    result = await runLoad(load(seconds));
    window = { startUs, endUs: monotonicUs() };
  } finally {
    await server.stop();
  }
  log(`the balance SQL alone: pgbench -M prepared, ${connections} clients, ${seconds} s`);
  const raw = await runPgbench({
    pgbenchPath: config.pgbenchPath, databaseUrl: url, script: 'balance.sql', mode: 'prepared', clients: connections, seconds,
    variables: { restaurant: HOT_RESTAURANT, currency: 'PEN', as_of: new Date().toISOString() },
  });
  const file = findCpuProfile(profileDir, server.pid);
  if (file === undefined) throw new Error(`no .cpuprofile of pid ${server.pid} in ${profileDir}`);
  const summary = summarizeCpuProfile(file, TOP_FUNCTIONS, window);
  const busyMs = summary.totalMs - summary.idleMs;
  console.log([
    `commit ${machine.commit}, ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgres}; load average at start ${loadAtStart}, at end ${loadAverage()}`,
    `HTTP: ${result.expected} answers 200 in ${result.seconds} s: ${Math.round(result.itemsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms${loadProblems(result) === undefined ? '' : ` (${loadProblems(result)})`}`,
    `SQL alone (pgbench, same clients): ${Math.round(raw.tps)} balances/s, ${raw.latencyAvgMs.toFixed(2)} ms average`,
    `profile window ${(summary.totalMs / 1000).toFixed(2)} s, busy ${(busyMs / 1000).toFixed(2)} s (${shareText(busyMs / summary.totalMs)}), ${(busyMs / Math.max(1, result.expected)).toFixed(3)} ms of main-thread CPU per request; ${file}`,
    '',
    ...profileTables(summary),
  ].join('\n'));
} finally {
  await dropDatabase(config.adminUrl, name);
}

/** Until the server's checkpointer has written the hot restaurant's balance checkpoint. */
async function waitForCheckpoint(databaseUrl: string): Promise<void> {
  const deadline = performance.now() + CHECKPOINT_WAIT_MS;
  await withClient(databaseUrl, async (client) => {
    while ((await client.query(`SELECT 1 FROM balance_checkpoints WHERE restaurant_id = $1`, [HOT_RESTAURANT])).rowCount === 0) {
      if (performance.now() > deadline) throw new Error(`no balance checkpoint of ${HOT_RESTAURANT} after ${CHECKPOINT_WAIT_MS / 1000} s`);
      await sleep(100);
    }
  });
}
