import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, sleep } from './server-process.ts';

/** Where Debian's PostgreSQL packages put their binaries; the newest version found is used. */
const POSTGRES_LIB_DIR = '/usr/lib/postgresql';
/** initdb and a first start take about a second; a loaded machine gets far more than that. */
const START_TIMEOUT_MS = 60_000;
/** Backends notice a dead postmaster within milliseconds; past this they are killed too. */
const ORPHAN_GRACE_MS = 5_000;
const OUTPUT_CHARS_MAX = 20_000;

/**
 * A PostgreSQL cluster of the test's own, in a temporary directory on a free port, that the test
 * may kill and restart without disturbing the PostgreSQL every other suite uses.
 */
export interface TempCluster {
  port: number;
  /** Creates a database on the cluster and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  /** Whether the postmaster is up (started and not crashed). */
  running(): boolean;
  /** The postmaster's process id while it runs; its backends and helpers are its children (`pgrep -P`). */
  postmasterPid(): number | undefined;
  /**
   * SIGKILL to the postmaster, as the OOM killer would send it. Its backends exit by themselves
   * when they notice; any still alive after a grace period are killed as well, so the cluster can
   * be started again. Resolves once every process of the cluster is gone.
   */
  crash(): Promise<{ orphansKilled: number }>;
  /** Starts the postmaster (again): crash recovery runs first. Resolves once it takes connections. */
  start(): Promise<void>;
  /** Stops the cluster and deletes its directory. */
  destroy(): Promise<void>;
}

/**
 * initdb in a fresh temporary directory, then starts the postmaster as a child of this process
 * (not through pg_ctl, which detaches it: the test must hold its PID to kill it and reap it).
 * PostgreSQL refuses to run as root, so as root (CI) both run as the `postgres` system user that
 * the PostgreSQL packages create, in a directory handed to that user.
 */
export async function startTempCluster(): Promise<TempCluster> {
  const binDir = postgresBinDir();
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  // The postgres user must be able to reach the directory: TMPDIR may point inside root's home.
  const baseDir = mkdtempSync(join(owner !== undefined ? '/tmp' : tmpdir(), 'ledger-faults-pg-'));
  if (owner !== undefined) chownSync(baseDir, owner.uid, owner.gid);
  const dataDir = join(baseDir, 'data');
  await runToEnd(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], owner);
  const port = await freePort();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let postmaster: ChildProcess | undefined;
  let output = '';

  const start = async (): Promise<void> => {
    // fsync=off: the faults here kill processes, not the machine, so whatever PostgreSQL wrote is
    // still in the kernel's page cache after a SIGKILL and crash recovery replays it. Durability
    // across power loss is PostgreSQL's own promise (fsync=on in production), not the ledger's.
    // It makes crash recovery take ~0.3 s instead of 3-4 s of end-of-recovery checkpoint.
    const child = spawn(
      join(binDir, 'postgres'),
      [
        '-D', dataDir, '-p', String(port), '-k', baseDir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'shared_buffers=32MB',
        '-c', 'max_connections=100',
        '-c', 'log_min_messages=warning',
        '-c', 'fsync=off',
      ],
      { ...(owner !== undefined && { uid: owner.uid, gid: owner.gid }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_CHARS_MAX));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    postmaster = child;
    await waitUntilAccepting(adminUrl, child, () => output);
  };

  const crash = async (): Promise<{ orphansKilled: number }> => {
    const child = postmaster;
    if (child?.pid === undefined) throw new Error('the cluster is not running');
    const backends = childPids(child.pid);
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    child.kill('SIGKILL');
    await exited;
    postmaster = undefined;
    const deadline = Date.now() + ORPHAN_GRACE_MS;
    while (backends.some(isRunning) && Date.now() < deadline) await sleep(20);
    const orphans = backends.filter(isRunning);
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    while (backends.some(isRunning)) await sleep(20);
    return { orphansKilled: orphans.length };
  };

  await start();
  // A test that dies without its afterAll must not leave a postmaster behind.
  const killOnExit = () => postmaster?.kill('SIGKILL');
  process.once('exit', killOnExit);

  return {
    port,
    createDatabase: async (name) => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    running: () => postmaster !== undefined,
    postmasterPid: () => postmaster?.pid,
    crash,
    start,
    destroy: async () => {
      process.removeListener('exit', killOnExit);
      if (postmaster !== undefined) {
        const child = postmaster;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGQUIT'); // immediate shutdown: nothing here needs to survive
        await exited;
        postmaster = undefined;
      }
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}

function postgresBinDir(): string {
  const versions = existsSync(POSTGRES_LIB_DIR)
    ? readdirSync(POSTGRES_LIB_DIR).filter((version) => existsSync(join(POSTGRES_LIB_DIR, version, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) {
    throw new Error(`the fault suite needs PostgreSQL server binaries (initdb, postgres) under ${POSTGRES_LIB_DIR}/<version>/bin`);
  }
  return join(POSTGRES_LIB_DIR, newest, 'bin');
}

function systemUser(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(`running as root, the fault suite starts PostgreSQL as the '${name}' user, which does not exist (.ci/run creates it)`);
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function runToEnd(command: string, args: string[], owner: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...(owner !== undefined && { uid: owner.uid, gid: owner.gid }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${output}`))));
  });
}

async function waitUntilAccepting(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the postmaster exited while starting:\n${output()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch {
      await sleep(50);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  child.kill('SIGKILL');
  throw new Error(`the postmaster did not accept connections within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

/** The processes whose parent is `pid`, read from /proc (the postmaster's backends and helpers). */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => procStat(candidate)?.ppid === pid);
}

/** Alive and not a zombie (an orphan's new parent may never reap it). */
function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === undefined || ppid === undefined ? undefined : { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}
