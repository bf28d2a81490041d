import { MATURITY_DAYS_DEFAULT, POOL_SIZE_DEFAULT, SESSION_OPTIONS } from '@restaurant-ledger/core';
import { type RunningServer, startNodeProcess } from './server-process.ts';

const BARE_NODE_DIR = new URL('../bare-node/', import.meta.url);

/**
 * The bare-Node baseline (bench/src/bare-node/server.ts) on `databaseUrl`: node:http and pg around
 * the service's single-event statement and its balance statements, with the service's pool size
 * (LEDGER_DB_POOL_MAX when this run sets it, else the default), session settings and default
 * maturity window.
 */
export async function startBareNodeServer(databaseUrl: string, log: (line: string) => void, nodeArgs: string[] = []): Promise<RunningServer> {
  return startNodeProcess({
    cwd: BARE_NODE_DIR,
    script: 'server.ts',
    nodeArgs,
    env: {
      DATABASE_URL: databaseUrl,
      BARE_POOL_MAX: process.env.LEDGER_DB_POOL_MAX ?? String(POOL_SIZE_DEFAULT),
      BARE_SESSION_OPTIONS: SESSION_OPTIONS,
      BARE_MATURITY_DAYS: process.env.LEDGER_MATURITY_DAYS ?? String(MATURITY_DAYS_DEFAULT),
    },
    log: (line) => log(`bare-node ${line}`),
  });
}
