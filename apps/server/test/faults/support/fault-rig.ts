import { freePort, type ServerProcess, startServerProcess } from '../../support/server-process.ts';
import { startTempCluster, type TempCluster } from '../../support/temp-cluster.ts';
import { createHttpClient, type HttpClient } from './http-client.ts';

/**
 * The settings every fault-suite server runs with: bounds tight enough that a fault shows within
 * a test's time, loose enough for a loaded CI machine.
 */
export const FAULT_SERVER_ENV: Readonly<Record<string, string>> = {
  LEDGER_DB_POOL_MAX: '10',
  LEDGER_DB_CONNECT_TIMEOUT_MS: '2000',
  LEDGER_DB_STATEMENT_TIMEOUT_MS: '5000',
  // The suite's clients are one IP sending thousands of deliveries a minute: the rate limits (tested
  // on their own in abuse-limits.test.ts) would answer them 429 before any fault could show.
  LEDGER_RATE_LIMIT_PER_KEY: '0',
  LEDGER_RATE_LIMIT_PER_IP: '0',
  LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '0',
};

/** What each fault test stands on: a PostgreSQL cluster of its own, a database, the server, a client. */
export interface FaultRig {
  cluster: TempCluster;
  databaseUrl: string;
  /** The first server process, on the rig's database. */
  server: ServerProcess;
  /** A client of the first server's port, over `connections` sockets. */
  client: HttpClient;
  /** Starts another server process (on the first one's port once that one is dead, or a new port); close() kills it. */
  startServer(options?: { port?: number; databaseUrl?: string }): Promise<ServerProcess>;
  close(): Promise<void>;
}

export interface FaultRigOptions {
  database: string;
  connections: number;
  /** Server settings on top of FAULT_SERVER_ENV. */
  env?: Record<string, string>;
}

export async function startFaultRig(options: FaultRigOptions): Promise<FaultRig> {
  const cluster = await startTempCluster();
  const servers: ServerProcess[] = [];
  let client: HttpClient | undefined;
  const close = async () => {
    client?.close();
    await Promise.all(servers.map((server) => server.kill('SIGKILL')));
    await cluster.destroy();
  };
  try {
    const databaseUrl = await cluster.createDatabase(options.database);
    const startServer = async (where: { port?: number; databaseUrl?: string } = {}) => {
      const server = await startServerProcess({
        port: where.port ?? (await freePort()),
        databaseUrl: where.databaseUrl ?? databaseUrl,
        env: { ...FAULT_SERVER_ENV, ...options.env },
      });
      servers.push(server);
      return server;
    };
    const server = await startServer();
    client = createHttpClient(server.url, { connections: options.connections, timeoutMs: 30_000 });
    return { cluster, databaseUrl, server, client, startServer, close };
  } catch (error) {
    await close();
    throw error;
  }
}
