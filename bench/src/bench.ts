import { mkdirSync, writeFileSync } from 'node:fs';
import { benchEnvironment, type BenchConfig, loadBenchConfig } from './harness/config.ts';
import {
  checkpoint,
  copyDatabase,
  createMigratedDatabase,
  databaseName,
  dropAbandonedRunDatabases,
  dropDatabase,
  runDatabasesPrefix,
} from './harness/databases.ts';
import { startBareNodeServer } from './harness/bare-node.ts';
import { findCpuProfile, summarizeCpuProfile } from './harness/cpu-profile.ts';
import { runIngestPhase } from './harness/ingest-phase.ts';
import { runLedgerPhase } from './harness/ledger-phase.ts';
import { describeMachine, loadAverage } from './harness/machine.ts';
import { BALANCE_SCRIPT, readScriptHeader, scriptFile, staleSnapshots } from './harness/pgbench-scripts.ts';
import { prepareRawDatabase, rawIngestScenarios } from './harness/raw-ceiling.ts';
import { balanceFigureLine, httpFigureLine, renderReport } from './harness/report.ts';
import { attempt, type BenchResults, emptyResults, type HttpFigure } from './harness/results.ts';
import { type RunningServer, startServer, stopRunningServers } from './harness/server-process.ts';
import { evaluateTargets } from './harness/targets.ts';
import { FULL_PLAN, seedLedger } from './seed-ledger.ts';
import { runSealPhase } from './harness/seal-phase.ts';

/**
 * `pnpm bench`: in one run, the raw PostgreSQL ceiling of the service's own ingestion SQL
 * (pgbench), the bare-Node baseline (node:http and pg around the service's single-event statement)
 * and the service itself (the real server process), both under the same autocannon loads; balance
 * latency and load, statement pages by position and payout runs on a copy of the seeded ledger;
 * and the server's peak memory. Prints each figure with its ratios to the baseline and the ceiling
 * and issue 14's targets met or missed, and writes BENCHMARKS.md.
 * Knobs: BENCH_* (harness/config.ts). Databases: perf_bench_<run>_*, dropped at the end.
 */
const startedMs = Date.now();
/** Functions and places listed from a CPU profile. */
const CPU_PROFILE_TOP = 15;
const log = (line: string): void => {
  const elapsed = Math.round((Date.now() - startedMs) / 1000);
  console.error(`[bench ${String(Math.floor(elapsed / 60)).padStart(2, '0')}:${String(elapsed % 60).padStart(2, '0')}] ${line}`);
};

async function main(): Promise<number> {
  const config = loadBenchConfig(process.env);
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  log(`load average at start: ${loadAtStart}`);
  const results = emptyResults();
  warnAboutStaleScripts(config);
  const machine = await attempt(results, 'machine description', log, () => describeMachine(config.adminUrl, config.pgbenchPath));
  const run = runDatabasesPrefix(startedAt);
  const created: string[] = [];
  await attempt(results, 'drop abandoned databases', log, () => dropAbandonedRunDatabases(config.adminUrl, startedAt, log));
  onInterrupt(async () => {
    await stopRunningServers();
    for (const name of config.keepDatabases ? [] : created) await dropDatabase(config.adminUrl, name).catch(() => undefined);
  });
  try {
    if (config.phases.has('ingest')) await ingest(config, run, created, results);
    if (config.phases.has('ledger')) await ledger(config, run, created, results);
    if (config.phases.has('seal')) await seal(config, run, created, results);
  } finally {
    if (!config.keepDatabases) {
      for (const name of created) await attempt(results, `drop ${name}`, log, () => dropDatabase(config.adminUrl, name));
    } else if (created.length > 0) log(`kept databases: ${created.join(', ')}`);
  }
  const targets = evaluateTargets(results, config.singleConnections, config.batchSizes[0]);
  const loadAtEnd = loadAverage();
  const command = ['pnpm bench', ...benchEnvironment(process.env)].join(' ');
  const report = renderReport(config, { startedAt, finishedAt: new Date(), command, loadAtStart, loadAtEnd, machine }, results, targets);
  writeFileSync(config.outputPath, report);
  console.log('');
  for (const target of targets) console.log(`${target.verdict.padEnd(9)} ${target.target}: ${target.measured}`);
  console.log(`\nload average at start ${loadAtStart}, at end ${loadAtEnd}; report written to ${config.outputPath}`);
  if (results.errors.length > 0) console.log(`${results.errors.length} step(s) failed: ${results.errors.map((e) => e.step).join('; ')}`);
  return results.errors.length === 0 ? 0 : 1;
}

/** On Ctrl-C or SIGTERM: stop the server, drop this run's databases, exit 130. A second signal exits at once. */
function onInterrupt(cleanup: () => Promise<void>): void {
  const handler = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the server and dropping this run's databases`);
    process.once(signal, () => process.exit(130));
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/**
 * A script copied from SQL that has changed since still runs, but the ceiling may no longer be the
 * service's SQL; a script whose `-- @statement` blocks no longer fit the snapshots fails when it runs.
 */
function warnAboutStaleScripts(config: BenchConfig): void {
  const scripts = new Set([...rawIngestScenarios(config).map((scenario) => scenario.script), BALANCE_SCRIPT]);
  for (const script of scripts) {
    for (const warning of staleSnapshots(readScriptHeader(script))) log(`WARNING ${warning}`);
    try {
      scriptFile(script);
    } catch (error) {
      log(`WARNING ${script}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Ingestion: a fresh database for pgbench and another for the server, so each starts from the same empty schema. */
async function ingest(config: BenchConfig, run: string, created: string[], results: BenchResults): Promise<void> {
  const rawName = `${run}_raw`;
  const serviceName = `${run}_service`;
  const ready = await attempt(results, 'create the ingestion databases', log, async () => {
    log(`creating ${rawName} (with ${config.rawKnownEvents.toLocaleString('en-US')} known events to replay) and ${serviceName}`);
    created.push(rawName);
    const rawUrl = await createMigratedDatabase(config.adminUrl, rawName);
    await prepareRawDatabase(rawUrl, config.rawKnownEvents);
    created.push(serviceName);
    const serviceUrl = await createMigratedDatabase(config.adminUrl, serviceName);
    await checkpoint(config.adminUrl);
    return { rawUrl, serviceUrl };
  });
  if (ready === undefined) return;
  await withServer(config, results, ready.serviceUrl, 'ingestion', {}, async (server) => {
    const bare = await attempt(results, 'start the bare-Node baseline', log, () => startBareNodeServer(ready.serviceUrl, log));
    try {
      const report = (figure: HttpFigure): void => log(`==> ${httpFigureLine(results, figure)}`);
      await runIngestPhase({ config, rawUrl: ready.rawUrl, server, bare, results, log, report });
    } finally {
      await bare?.stop();
    }
  });
}

/** Balances and a payout run on a copy of the seeded ledger, which the run may write to and then drops. */
async function ledger(config: BenchConfig, run: string, created: string[], results: BenchResults): Promise<void> {
  const copyName = `${run}_ledger`;
  const ledgerUrl = await attempt(results, 'copy the seeded ledger', log, async () => {
    await seedLedger(config.ledgerTemplateUrl, FULL_PLAN, (line) => log(`seed: ${line}`));
    log(`copying ${databaseName(config.ledgerTemplateUrl)} to ${copyName}`);
    created.push(copyName);
    const url = await copyDatabase(config.adminUrl, databaseName(config.ledgerTemplateUrl), copyName, log);
    await checkpoint(config.adminUrl);
    return url;
  });
  if (ledgerUrl === undefined) return;
  const statementTimeoutMs = Number(process.env.LEDGER_DB_STATEMENT_TIMEOUT_MS ?? config.ledgerStatementTimeoutMs);
  const defaults = { LEDGER_DB_STATEMENT_TIMEOUT_MS: String(config.ledgerStatementTimeoutMs) };
  await withServer(config, results, ledgerUrl, 'ledger', defaults, async (server) => {
    const bare = await attempt(results, 'start the bare-Node baseline (ledger)', log, () => startBareNodeServer(ledgerUrl, log));
    try {
      await runLedgerPhase({ config, ledgerUrl, server, bare, results, statementTimeoutMs, log, report: (figure) => log(`==> ${balanceFigureLine(figure)}`) });
    } finally {
      await bare?.stop();
    }
  });
}

/** The sealer's write cost: single-event ingestion with it off and on, on one fresh database (docs/tamper-evidence.md). */
async function seal(config: BenchConfig, run: string, created: string[], results: BenchResults): Promise<void> {
  const name = `${run}_seal`;
  const databaseUrl = await attempt(results, 'create the sealing database', log, async () => {
    created.push(name);
    return createMigratedDatabase(config.adminUrl, name);
  });
  if (databaseUrl === undefined) return;
  const sealIntervalMs = Number(process.env.LEDGER_SEAL_INTERVAL_MS || 1_000) || 1_000;
  const figure = await attempt(results, 'sealing on and off', log, () => runSealPhase({ config, databaseUrl, results, log, sealIntervalMs }));
  if (figure !== undefined) results.sealing = figure;
}

async function withServer(
  config: BenchConfig,
  results: BenchResults,
  databaseUrl: string,
  phase: string,
  defaults: Record<string, string>,
  work: (server: RunningServer) => Promise<void>,
): Promise<void> {
  const profileDir = config.cpuProfileDir;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const server = await attempt(results, `start the server (${phase})`, log, () => startServer(databaseUrl, log, { defaults, nodeArgs }));
  if (server === undefined) return;
  try {
    await work(server);
  } finally {
    results.rss.push({ server: `pid ${server.pid} on ${databaseName(databaseUrl)}`, phase, peakMb: server.takePhasePeakRssMb() });
    log(`server ${server.pid}: peak RSS ${server.peakRssMb().toFixed(0)} MB during ${phase}`);
    await server.stop();
  }
  if (profileDir !== undefined) await recordCpuProfile(results, profileDir, server.pid, phase);
}

/** node --cpu-prof writes the profile when the server exits: read it back into the report. */
async function recordCpuProfile(results: BenchResults, profileDir: string, pid: number, phase: string): Promise<void> {
  await attempt(results, `CPU profile (${phase})`, log, async () => {
    const file = findCpuProfile(profileDir, pid);
    if (file === undefined) throw new Error(`no .cpuprofile of pid ${pid} in ${profileDir}`);
    results.profiles.push({ phase, summary: summarizeCpuProfile(file, CPU_PROFILE_TOP) });
    log(`CPU profile of the ${phase} server: ${file}`);
  });
}

process.exitCode = await main();
