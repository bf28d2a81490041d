import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { withClient } from './databases.ts';

/** What the figures were measured on: enough to tell two runs' machines apart. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  /** Settings that move ingestion and balance figures most. */
  postgresSettings: Record<string, string>;
  pgbench: string;
  autocannon: string;
  commit: string;
}

const POSTGRES_SETTINGS = ['shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'max_wal_size', 'max_connections', 'jit'] as const;

export async function describeMachine(adminUrl: string, pgbenchPath: string): Promise<MachineInfo> {
  const postgres = await withClient(adminUrl, async (client) => {
    const version = await client.query<{ server_version: string }>('SHOW server_version');
    const settings = await client.query<{ name: string; value: string }>(
      'SELECT name, current_setting(name) AS value FROM pg_settings WHERE name = ANY ($1) ORDER BY name',
      [POSTGRES_SETTINGS],
    );
    return {
      version: version.rows[0]?.server_version ?? 'unknown',
      settings: Object.fromEntries(settings.rows.map((row) => [row.name, row.value])),
    };
  });
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    postgres: postgres.version,
    postgresSettings: postgres.settings,
    pgbench: commandOutput(pgbenchPath, ['--version']),
    autocannon: packageVersion('autocannon'),
    commit: gitDescription(),
  };
}

/** The 1-, 5- and 15-minute load averages: how busy the machine was besides this run. */
export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

function commandOutput(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  const version = (createRequire(import.meta.url)(`${name}/package.json`) as { version?: string }).version;
  return version ?? 'unknown';
}

/** The commit measured, with "+ uncommitted changes" when the tree differs from it. */
function gitDescription(): string {
  const commit = commandOutput('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = commandOutput('git', ['status', '--porcelain', '--untracked-files=no']) !== '';
  return dirty ? `${commit} + uncommitted changes` : commit;
}
