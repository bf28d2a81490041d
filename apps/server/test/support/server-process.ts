import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The real server as production runs it (`node --import tsx src/main.ts`), in a process of its
 * own, so tests can SIGKILL it.
 */
const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));
/** tsx compiles the server on start; a loaded machine may take several seconds. */
const HEALTHY_TIMEOUT_MS = 30_000;
const OUTPUT_CHARS_MAX = 200_000;

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process wrote to stdout and stderr (the last 200,000 characters). */
  output(): string;
  /** Sends `signal` (if the process still runs) and resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Throws, with the process's output, when it is no longer running. */
  assertRunning(): void;
}

export interface ServerProcessOptions {
  port: number;
  databaseUrl: string;
  /** More settings, e.g. LEDGER_PAYOUT_BATCH_SIZE; they override the defaults below. */
  env?: Record<string, string>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Spawns the server and resolves once GET /health answers 200. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(options.port),
      DATABASE_URL: options.databaseUrl,
      LEDGER_API_KEYS: '',
      LEDGER_WEBHOOK_SECRET: '',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_CHARS_MAX));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A test worker that dies without its afterAll must not leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  const server: ServerProcess = {
    child,
    url: `http://127.0.0.1:${options.port}`,
    exited,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    assertRunning: () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-5_000)}`);
      }
    },
  };

  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
  while (Date.now() < deadline && !exitedEarly) {
    const healthy = await fetch(`${server.url}/health`).then((r) => r.ok, () => false);
    if (healthy) return server;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become healthy:\n${output}`);
}

/** Polls `until` every `intervalMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function pollUntil<T>(what: string, timeoutMs: number, until: () => Promise<T | undefined>, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await until();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
