import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chargeSequence } from './harness/charges.ts';
import { loadBenchConfig } from './harness/config.ts';
import { findCpuProfile, type ProfileWindow, profileTables, shareText, summarizeCpuProfile } from './harness/cpu-profile.ts';
import { createMigratedDatabase, dropDatabase, RUN_DATABASE_PREFIX } from './harness/databases.ts';
import { loadProblems, runLoad } from './harness/http-load.ts';
import { describeMachine, loadAverage } from './harness/machine.ts';
import { startBareNodeServer } from './harness/bare-node.ts';
import { startServer } from './harness/server-process.ts';

/**
 * `tsx bench/src/profile-webhook.ts`: a CPU profile of `POST /v1/processor/events` (new charges)
 * under the bench's single-event load, for docs/single-event-profile.md. The real server runs under
 * `node --cpu-prof` on a fresh migrated database; after a warm-up and a pause, BENCH_SECONDS (15)
 * of new events at BENCH_CONNECTIONS (16); the summary covers that measurement alone (the samples
 * between its first request and its last answer, by the monotonic clock both processes share).
 * Prints markdown: the figure, the load average at start and end, self time by function and by
 * group, and time by group on the stack. BENCH_CPU_PROFILE_DIR keeps the .cpuprofile there;
 * BENCH_PROFILE_TARGET=bare-node profiles the bare-Node baseline instead, for the floor.
 */
const TOP_FUNCTIONS = 25;
const PAUSE_MS = 1_000;
const log = (line: string): void => console.error(`[profile] ${line}`);
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

const config = loadBenchConfig({ BENCH_SECONDS: '15', ...process.env });
const seconds = config.throughputSeconds;
const connections = config.singleConnections;
const loadAtStart = loadAverage();
const machine = await describeMachine(config.adminUrl, config.pgbenchPath);
const profileDir = config.cpuProfileDir ?? mkdtempSync(join(tmpdir(), 'perf-bench-profile-'));
const name = `${RUN_DATABASE_PREFIX}profile_${Date.now().toString(36)}`;
const url = await createMigratedDatabase(config.adminUrl, name);
try {
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const server = process.env.BENCH_PROFILE_TARGET === 'bare-node' ? await startBareNodeServer(url, log, nodeArgs) : await startServer(url, log, { nodeArgs });
  const nextCharge = chargeSequence(`prof_${Date.now().toString(36)}`);
  const single = (duration: number) => ({
    baseUrl: server.url, method: 'POST' as const, path: '/v1/processor/events', connections, seconds: duration, expectedStatus: 201,
    body: () => JSON.stringify(nextCharge()),
  });
  let window: ProfileWindow;
  let result;
  try {
    log(`warm-up: ${config.warmupSeconds} s at ${connections} connections`);
    await runLoad(single(config.warmupSeconds));
    await sleep(PAUSE_MS);
    log(`measuring: ${seconds} s at ${connections} connections`);
    const startUs = monotonicUs();
    result = await runLoad(single(seconds));
    window = { startUs, endUs: monotonicUs() };
  } finally {
    await server.stop();
  }
  const file = findCpuProfile(profileDir, server.pid);
  if (file === undefined) throw new Error(`no .cpuprofile of pid ${server.pid} in ${profileDir}`);
  const summary = summarizeCpuProfile(file, TOP_FUNCTIONS, window);
  const busyMs = summary.totalMs - summary.idleMs;
  const lines = [
    `commit ${machine.commit}, ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgres}; load average at start ${loadAtStart}, at end ${loadAverage()}`,
    `${result.expected} answers 201 in ${result.seconds} s: ${Math.round(result.itemsPerSecond)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms${loadProblems(result) === undefined ? '' : ` (${loadProblems(result)})`}`,
    `profile window ${(summary.totalMs / 1000).toFixed(2)} s, busy ${(busyMs / 1000).toFixed(2)} s (${shareText(busyMs / summary.totalMs)}), ${(busyMs / Math.max(1, result.expected)).toFixed(3)} ms of main-thread CPU per request; ${file}`,
    '',
    ...profileTables(summary),
  ];
  console.log(lines.join('\n'));
} finally {
  await dropDatabase(config.adminUrl, name);
}
