import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESSION_OPTIONS } from '@restaurant-ledger/core';
import { scriptFile } from './pgbench-scripts.ts';

/** pgbench's -M: simple sends text queries; extended parses each statement every time (as the `pg` driver does); prepared parses once per connection. */
export type PgbenchMode = 'simple' | 'extended' | 'prepared';


export interface PgbenchInvocation {
  pgbenchPath: string;
  databaseUrl: string;
  /** A file in bench/pgbench/. */
  script: string;
  mode: PgbenchMode;
  clients: number;
  seconds: number;
  /** pgbench -D: each client starts with its own copy of these. */
  variables: Record<string, string | number>;
  /** Keep every transaction's latency (pgbench -l) for percentiles; otherwise only the average. */
  keepLatencies?: boolean;
}

export interface PgbenchResult {
  transactions: number;
  failed: number;
  /** Transactions per second, without the time to open the connections. */
  tps: number;
  latencyAvgMs: number;
  /** Each transaction's latency, when asked for. */
  latenciesMs?: number[];
}

/** Runs pgbench once, as a child process; throws with its output when it reports an error or aborts. */
export async function runPgbench(invocation: PgbenchInvocation): Promise<PgbenchResult> {
  const logDir = invocation.keepLatencies === true ? mkdtempSync(join(tmpdir(), 'perf-bench-pgbench-')) : undefined;
  try {
    const output = await spawnPgbench(invocation.pgbenchPath, pgbenchArguments(invocation, logDir), passwordEnv(invocation.databaseUrl));
    const result = parsePgbenchOutput(output);
    return logDir === undefined ? result : { ...result, latenciesMs: readLatencyLogs(logDir) };
  } finally {
    if (logDir !== undefined) rmSync(logDir, { recursive: true, force: true });
  }
}

function pgbenchArguments(invocation: PgbenchInvocation, logDir: string | undefined): string[] {
  const url = new URL(invocation.databaseUrl);
  const threads = Math.max(1, Math.min(invocation.clients, cpus().length));
  const args = [
    '--no-vacuum',
    `--host=${url.hostname}`,
    `--port=${url.port === '' ? '5432' : url.port}`,
    `--username=${decodeURIComponent(url.username === '' ? 'postgres' : url.username)}`,
    `--protocol=${invocation.mode}`,
    `--client=${invocation.clients}`,
    `--jobs=${threads}`,
    `--time=${invocation.seconds}`,
    `--file=${scriptFile(invocation.script)}`,
    ...Object.entries(invocation.variables).map(([name, value]) => `--define=${name}=${value}`),
  ];
  if (logDir !== undefined) args.push('--log', `--log-prefix=${join(logDir, 'tx')}`);
  args.push(decodeURIComponent(url.pathname.slice(1)));
  return args;
}

/** The password, if any, and the server's own session settings (SESSION_OPTIONS): the ceiling plans as the service does. */
function passwordEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const password = new URL(databaseUrl).password;
  const env = { ...process.env, PGOPTIONS: SESSION_OPTIONS };
  return password === '' ? env : { ...env, PGPASSWORD: decodeURIComponent(password) };
}

function spawnPgbench(path: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      // pgbench exits 2 when a client aborted (its figures then count only part of the run).
      if (code === 0) resolve(stdout);
      else reject(new Error(`pgbench exited with ${code}: ${lastLines(`${stderr}\n${stdout}`, 6)}`));
    });
  });
}

export function parsePgbenchOutput(output: string): PgbenchResult {
  const number = (pattern: RegExp): number => {
    const match = pattern.exec(output);
    if (match?.[1] === undefined) throw new Error(`pgbench output has no ${pattern.source}: ${lastLines(output, 6)}`);
    return Number(match[1]);
  };
  return {
    transactions: number(/number of transactions actually processed: (\d+)/),
    failed: /number of failed transactions: (\d+)/.test(output) ? number(/number of failed transactions: (\d+)/) : 0,
    tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
    latencyAvgMs: number(/latency average = ([\d.]+) ms/),
  };
}

/** pgbench -l writes one line per transaction: client, transaction, latency in µs, … */
function readLatencyLogs(logDir: string): number[] {
  const latencies: number[] = [];
  for (const file of readdirSync(logDir)) {
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (line !== '' && Number.isFinite(micros)) latencies.push(micros / 1000);
    }
  }
  return latencies;
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}
