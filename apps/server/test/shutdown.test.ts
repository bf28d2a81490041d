import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { nodeSupport } from '../src/node-version.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { EXAMPLE_EVENT } from './support/test-server.ts';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 1 });
});
afterAll(() => testDb.close());

async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const { config } = loadConfig({ PORT: '0', DATABASE_URL: testDb.url ?? '', ...env });
  return startServer(config, pino({ level: 'silent' }));
}

/**
 * A webhook whose body arrives in two parts: the request is in flight from the first part until
 * `finish()` sends the rest.
 */
function slowWebhook(port: number, eventId: string) {
  const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: eventId });
  const req = httpRequest({
    port,
    host: '127.0.0.1',
    method: 'POST',
    path: '/v1/processor/events',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const answered = new Promise<{ status: number } | { error: string }>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (error) => resolve({ error: error.message }));
  });
  req.write(body.slice(0, 20));
  return { answered, finish: () => req.end(body.slice(20)) };
}

/** Waits until the server holds a connection, then a moment more for the request's headers. */
async function inFlight(running: RunningServer): Promise<void> {
  const connections = () => new Promise<number>((resolve) => running.server.getConnections((_e, n) => resolve(n)));
  for (let i = 0; i < 100 && (await connections()) === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 100));
}

async function serverSessions(): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'restaurant-ledger' AND datname = current_database()`.execute(testDb.db);
  return rows[0]?.n ?? -1;
}

describe('graceful shutdown', () => {
  it('stops accepting connections, lets the request in flight finish, then closes the pool', async () => {
    const running = await start();
    const url = `http://127.0.0.1:${running.port}`;
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(await serverSessions()).toBeGreaterThan(0);
    const slow = slowWebhook(running.port, 'evt_drained');
    await inFlight(running);

    const closing = running.close();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    slow.finish();
    expect(await slow.answered).toEqual({ status: 201 });
    await closing;
    let sessions = await serverSessions();
    for (let i = 0; i < 40 && sessions > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sessions = await serverSessions();
    }
    expect(sessions).toBe(0);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM processor_events WHERE event_id = 'evt_drained'`.execute(testDb.db);
    expect(rows[0]?.n).toBe(1);
  });

  it('closes connections still in flight at LEDGER_SHUTDOWN_TIMEOUT_MS instead of waiting forever', async () => {
    const running = await start({ LEDGER_SHUTDOWN_TIMEOUT_MS: '300' });
    const stuck = slowWebhook(running.port, 'evt_never_finished');
    await inFlight(running);
    const started = Date.now();
    await running.close();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
    expect(await stuck.answered).toHaveProperty('error');
  });
});

const serverDir = fileURLToPath(new URL('..', import.meta.url));

/** `node src/main.ts` as the container runs it, with only the given settings (no inherited LEDGER_*). */
function spawnMain(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; lines: Array<Record<string, unknown>>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
  });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

async function waitForLine(lines: Array<Record<string, unknown>>, msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    const line = lines.find((l) => l.msg === msg);
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no "${msg}" line within ${timeoutMs} ms; got ${JSON.stringify(lines)}`);
}

describe('the server process', () => {
  it('drains and exits 0 on SIGTERM', async () => {
    const main = spawnMain({ PORT: '0', DATABASE_URL: testDb.url ?? '' });
    try {
      const listening = await waitForLine(main.lines, 'restaurant-ledger listening', 20_000);
      expect((await fetch(`http://127.0.0.1:${String(listening.port)}/health`)).status).toBe(200);
      main.child.kill('SIGTERM');
      expect(await main.exited).toBe(0);
      expect(main.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: draining requests in flight', 'stopped']));
      // The Node.js check runs at start: one warning on an unsupported or end-of-life line, none otherwise.
      const node = nodeSupport(process.version, new Date());
      const nodeWarnings = main.lines.filter((l) => l.node_version !== undefined).map((l) => [l.level, l.msg]);
      expect(nodeWarnings).toEqual(node.status === 'supported' ? [] : [[40, node.message]]);
    } finally {
      main.child.kill('SIGKILL');
    }
  });

  it('refuses to start with NODE_ENV=production when required settings are missing, naming them', async () => {
    const main = spawnMain({ NODE_ENV: 'production', LEDGER_API_KEYS: 'k' });
    expect(await main.exited).toBe(1);
    expect(main.lines.find((l) => l.level === 60)?.msg).toBe(
      'NODE_ENV=production requires DATABASE_URL, LEDGER_API_KEYS, LEDGER_WEBHOOK_SECRET; missing: DATABASE_URL, LEDGER_WEBHOOK_SECRET',
    );
  });
});
