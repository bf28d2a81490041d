import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const SERVER_DIR = new URL('../../../apps/server/', import.meta.url);
/**
 * A start migrates the database first: on the 2.1M-entry copy, a new migration (an index, a
 * backfill) can take minutes on a busy 2-core machine. Waiting costs nothing when it is quick.
 */
const READY_TIMEOUT_MS = 300_000;
const READY_POLL_MS = 200;
/** After SIGTERM the server drains; past this it is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** Server log lines longer than this (stack traces) are cut in the harness's output. */
const LOG_LINE_CHARS_MAX = 400;
/** How often the server's resident memory is read. */
export const RSS_SAMPLE_MS = 50;

/** The server's resident set, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The servers started and not yet stopped, so an interrupted run can stop them. */
const runningServers = new Set<() => Promise<void>>();

export async function stopRunningServers(): Promise<void> {
  await Promise.all([...runningServers].map((stop) => stop()));
}

export interface RunningServer {
  url: string;
  pid: number;
  /** The highest resident memory seen since the start, in MB. */
  peakRssMb(): number;
  /** The highest since the previous call (or the start): one phase's peak. */
  takePhasePeakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * Starts the real server process, `node --import tsx src/main.ts` in apps/server as the image runs
 * it, on `databaseUrl`, with rate limits off and logging at warn, and samples its resident memory
 * until it stops. LEDGER_* variables of this process pass through (for example
 * LEDGER_DB_POOL_MAX, to measure another pool size) over `options.defaults`; the rate limits are
 * always off, and `options.env` is set whatever the environment says. `options.nodeArgs` go to node before the script (--cpu-prof, say).
 */
export async function startServer(
  databaseUrl: string,
  log: (line: string) => void,
  options: { defaults?: Record<string, string>; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<RunningServer> {
  return startNodeProcess({
    cwd: SERVER_DIR,
    script: 'src/main.ts',
    nodeArgs: options.nodeArgs ?? [],
    env: {
      ...options.defaults,
      ...ledgerVariables(process.env),
      // What a phase measures (the sealer off, say) wins over the caller's environment.
      ...options.env,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      LEDGER_RATE_LIMIT_PER_KEY: '0',
      LEDGER_RATE_LIMIT_PER_IP: '0',
      LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '0',
    },
    log,
  });
}

/** A node process serving HTTP on a free port (PORT), ready when `GET /ready` answers 2xx. */
export interface NodeProcessSpec {
  cwd: URL;
  script: string;
  nodeArgs: string[];
  /** Besides PATH and PORT, which are always set. */
  env: Record<string, string>;
  log: (line: string) => void;
}

/** Starts `node --import tsx <script>` and samples its resident memory until it stops. */
export async function startNodeProcess(spec: NodeProcessSpec): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [...spec.nodeArgs, '--import', 'tsx', spec.script], {
    cwd: spec.cwd,
    env: { PATH: process.env.PATH ?? '', ...spec.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.script} did not start`);
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => spec.log(`server ${pid}: ${cut(line)}`));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child);
  let peak = rssMb(pid);
  let phasePeak = peak;
  const sample = (): number => {
    try {
      const now = rssMb(pid);
      peak = Math.max(peak, now);
      phasePeak = Math.max(phasePeak, now);
      return now;
    } catch {
      // The process is gone (its /proc entry with it): the samples taken so far stand.
      return 0;
    }
  };
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  const stop = async (): Promise<void> => {
    runningServers.delete(stop);
    await stopChild(child, sampler);
  };
  runningServers.add(stop);
  child.once('exit', () => clearInterval(sampler));
  return {
    url,
    pid,
    peakRssMb: () => peak,
    takePhasePeakRssMb: () => {
      const value = Math.max(phasePeak, sample());
      phasePeak = 0;
      return value;
    },
    stop,
  };
}

function cut(line: string): string {
  return line.length <= LOG_LINE_CHARS_MAX ? line : `${line.slice(0, LOG_LINE_CHARS_MAX)}… (${line.length} characters)`;
}

function ledgerVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('LEDGER_') && entry[1] !== undefined));
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before it was ready`);
    const ready = await fetch(`${url}/ready`).then((response) => response.ok, () => false);
    if (ready) return;
    await sleep(READY_POLL_MS);
  }
  child.kill('SIGKILL');
  throw new Error(`the server was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

async function stopChild(child: ChildProcess, sampler: NodeJS.Timeout): Promise<void> {
  clearInterval(sampler);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
