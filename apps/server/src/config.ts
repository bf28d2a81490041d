import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  CHECKPOINT_AFTER_ENTRIES_DEFAULT,
  CONNECT_TIMEOUT_MS_DEFAULT,
  type DatabaseTarget,
  MATURITY_DAYS_DEFAULT,
  MATURITY_DAYS_MAX,
  PAYOUT_BATCH_SIZE_DEFAULT,
  PAYOUT_LEASE_MS_DEFAULT,
  PAYOUT_POLL_INTERVAL_MS_DEFAULT,
  PAYOUT_SCHEDULE_INTERVAL_MS_DEFAULT,
  SEAL_BLOCK_SIZE_DEFAULT,
  SEAL_BLOCK_SIZE_MAX,
  SEAL_INTERVAL_MS_DEFAULT,
  POOL_SIZE_DEFAULT,
  STATEMENT_TIMEOUT_MS_DEFAULT,
  LOCK_TIMEOUT_MS_DEFAULT,
  OUTBOUND_MAX_ATTEMPTS_DEFAULT,
  OUTBOUND_POLL_INTERVAL_MS_DEFAULT,
  OUTBOUND_RETRY_BASE_MS_DEFAULT,
  OUTBOUND_RETRY_CAP_MS_DEFAULT,
  OUTBOUND_TIMEOUT_MS_DEFAULT,
  type OutboundSettings,
} from '@restaurant-ledger/core';
import { z } from 'zod';
import {
  BATCH_BODY_BYTES_MAX_DEFAULT,
  BODY_BYTES_MAX_DEFAULT,
  type EdgeLimits,
  RATE_LIMIT_PER_API_KEY_DEFAULT,
  RECONCILIATION_BODY_BYTES_MAX_DEFAULT,
  RATE_LIMIT_PER_IP_DEFAULT,
  RATE_LIMIT_WEBHOOK_PER_IP_DEFAULT,
  RATE_LIMIT_WINDOW_MS_DEFAULT,
  READY_TIMEOUT_MS_DEFAULT,
  SHUTDOWN_TIMEOUT_MS_DEFAULT,
  WORKERS_DEFAULT,
  WORKERS_MAX,
} from './edge-limits.ts';

export interface ServerConfig {
  port: number;
  database: DatabaseTarget;
  /** Keys accepted as `Authorization: Bearer <key>`; empty means the API is open. */
  apiKeys: readonly string[];
  /** Standard Webhooks secrets (`whsec_…`); several during a rotation; empty means unsigned. */
  webhookSecrets: readonly string[];
  defaultMaturityDays: number;
  payouts: { batchSize: number; leaseMs: number; pollIntervalMs: number };
  /** How often the payout scheduler looks for due scheduled runs. */
  payoutScheduleIntervalMs: number;
  /** The hash chain's sealer (docs/tamper-evidence.md): how often it looks (0: off) and its block size. */
  sealing: { intervalMs: number; blockSize: number };
  /** A balance read that reads more entries than this beyond its checkpoint asks for a new one. */
  checkpointAfterEntries: number;
  /** Outbound events: allow-list, attempt timeout, retries (docs/outbound-events.md). */
  outbound: OutboundSettings & { pollIntervalMs: number };
  limits: EdgeLimits;
  /** Express's `trust proxy`: which X-Forwarded-For hops to believe when reading the client IP. */
  trustProxy: boolean | number | string;
  shutdownTimeoutMs: number;
  /** HTTP server processes (docs/scaling.md#workers): 1 serves in this process; more fork node:cluster workers. */
  workers: number;
  production: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const MIB = 1024 * 1024;

function integer(min: number, max: number, fallback: number) {
  return z.coerce.number().int().min(min).max(max).default(fallback);
}

/** An integer setting where 0 turns the feature off. */
function zeroOrInteger(min: number, max: number, fallback: number) {
  return z.coerce
    .number()
    .int()
    .refine((value) => value === 0 || (value >= min && value <= max), `must be 0 (off) or from ${min} to ${max}`)
    .default(fallback);
}

/** Express's `trust proxy` values: off, on, a hop count, or addresses/subnets (`loopback, 10.0.0.0/8`). */
function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

const listSchema = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0));

/** The environment the server reads; docs/configuration.md is generated from it (`pnpm docs:generate`). */
export const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().optional().or(z.literal('').transform(() => undefined)),
  LEDGER_DATA_DIR: z.string().min(1).default('./.data/ledger'),
  LEDGER_API_KEYS: listSchema,
  LEDGER_WEBHOOK_SECRET: listSchema.pipe(
    z.array(z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be whsec_ followed by base64')),
  ),
  LEDGER_MATURITY_DAYS: z.coerce.number().int().min(0).max(MATURITY_DAYS_MAX).default(MATURITY_DAYS_DEFAULT),
  LEDGER_PAYOUT_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(PAYOUT_BATCH_SIZE_DEFAULT),
  LEDGER_PAYOUT_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(PAYOUT_LEASE_MS_DEFAULT),
  LEDGER_PAYOUT_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(PAYOUT_POLL_INTERVAL_MS_DEFAULT),
  LEDGER_PAYOUT_SCHEDULE_INTERVAL_MS: integer(100, 3_600_000, PAYOUT_SCHEDULE_INTERVAL_MS_DEFAULT),
  LEDGER_SEAL_INTERVAL_MS: zeroOrInteger(50, 3_600_000, SEAL_INTERVAL_MS_DEFAULT),
  LEDGER_SEAL_BLOCK_SIZE: integer(1, SEAL_BLOCK_SIZE_MAX, SEAL_BLOCK_SIZE_DEFAULT),
  LEDGER_CHECKPOINT_AFTER_ENTRIES: integer(10, 10_000_000, CHECKPOINT_AFTER_ENTRIES_DEFAULT),
  LEDGER_OUTBOUND_ALLOWED_HOSTS: listSchema.pipe(
    z.array(
      z
        .string()
        .regex(/^(\*|(\*\.)?[A-Za-z0-9.-]+|[0-9A-Fa-f:]+)$/, 'each entry must be a host name, an IP address, *.domain or *'),
    ),
  ),
  LEDGER_OUTBOUND_TIMEOUT_MS: integer(100, 120_000, OUTBOUND_TIMEOUT_MS_DEFAULT),
  LEDGER_OUTBOUND_MAX_ATTEMPTS: integer(1, 100, OUTBOUND_MAX_ATTEMPTS_DEFAULT),
  LEDGER_OUTBOUND_RETRY_BASE_MS: integer(10, 3_600_000, OUTBOUND_RETRY_BASE_MS_DEFAULT),
  LEDGER_OUTBOUND_RETRY_CAP_MS: integer(10, 86_400_000, OUTBOUND_RETRY_CAP_MS_DEFAULT),
  LEDGER_OUTBOUND_POLL_MS: integer(20, 60_000, OUTBOUND_POLL_INTERVAL_MS_DEFAULT),
  LEDGER_BODY_LIMIT_BYTES: integer(1_024, 64 * MIB, BODY_BYTES_MAX_DEFAULT),
  LEDGER_BATCH_BODY_LIMIT_BYTES: integer(1_024, 256 * MIB, BATCH_BODY_BYTES_MAX_DEFAULT),
  LEDGER_RECONCILIATION_BODY_LIMIT_BYTES: integer(1_024, 256 * MIB, RECONCILIATION_BODY_BYTES_MAX_DEFAULT),
  LEDGER_RATE_LIMIT_WINDOW_MS: integer(1_000, 3_600_000, RATE_LIMIT_WINDOW_MS_DEFAULT),
  LEDGER_RATE_LIMIT_PER_KEY: integer(0, 10_000_000, RATE_LIMIT_PER_API_KEY_DEFAULT),
  LEDGER_RATE_LIMIT_PER_IP: integer(0, 10_000_000, RATE_LIMIT_PER_IP_DEFAULT),
  LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: integer(0, 10_000_000, RATE_LIMIT_WEBHOOK_PER_IP_DEFAULT),
  LEDGER_TRUST_PROXY: z.string().optional().transform(trustProxySetting),
  LEDGER_DB_POOL_MAX: integer(1, 1_000, POOL_SIZE_DEFAULT),
  LEDGER_DB_CONNECT_TIMEOUT_MS: integer(100, 120_000, CONNECT_TIMEOUT_MS_DEFAULT),
  LEDGER_DB_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000, STATEMENT_TIMEOUT_MS_DEFAULT),
  LEDGER_DB_LOCK_TIMEOUT_MS: integer(100, 3_600_000, LOCK_TIMEOUT_MS_DEFAULT),
  LEDGER_DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).optional(),
  LEDGER_DB_PREPARED_STATEMENTS: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('true')
    .transform((value) => value === 'true'),
  LEDGER_READY_TIMEOUT_MS: integer(100, 60_000, READY_TIMEOUT_MS_DEFAULT),
  LEDGER_SHUTDOWN_TIMEOUT_MS: integer(0, 600_000, SHUTDOWN_TIMEOUT_MS_DEFAULT),
  LEDGER_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(WORKERS_MAX)]).default(WORKERS_DEFAULT),
});

/** Every environment variable the server reads (LOG_LEVEL is read by the logger). */
export type Setting = keyof typeof envSchema.shape | 'LOG_LEVEL';
export const SETTINGS: readonly Setting[] = [...(Object.keys(envSchema.shape) as Array<keyof typeof envSchema.shape>), 'LOG_LEVEL'];

const REQUIRED_IN_PRODUCTION = ['DATABASE_URL', 'LEDGER_API_KEYS', 'LEDGER_WEBHOOK_SECRET'] as const;

/**
 * Reads the settings (docs/configuration.md) from the environment. Throws ConfigError naming every bad or (in
 * production) missing variable; returns warnings for the insecure defaults allowed elsewhere.
 */
export function loadConfig(env: NodeJS.ProcessEnv): { config: ServerConfig; warnings: string[] } {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const production = vars.NODE_ENV === 'production';
  if (production) {
    const missing = REQUIRED_IN_PRODUCTION.filter((name) => {
      const value = vars[name];
      return value === undefined || (Array.isArray(value) && value.length === 0);
    });
    if (missing.length > 0) {
      throw new ConfigError(`NODE_ENV=production requires ${REQUIRED_IN_PRODUCTION.join(', ')}; missing: ${missing.join(', ')}`);
    }
  }
  const warnings: string[] = [];
  if (vars.LEDGER_API_KEYS.length === 0) warnings.push('LEDGER_API_KEYS is not set: the API is open to anyone who can reach it');
  if (vars.LEDGER_WEBHOOK_SECRET.length === 0) {
    warnings.push('LEDGER_WEBHOOK_SECRET is not set: unsigned webhooks are accepted');
  }
  const workers = workerCount(vars.LEDGER_WORKERS, vars.DATABASE_URL !== undefined, warnings);
  const database: DatabaseTarget =
    vars.DATABASE_URL !== undefined
      ? {
          kind: 'postgres',
          url: vars.DATABASE_URL,
          poolSize: vars.LEDGER_DB_POOL_MAX,
          connectTimeoutMs: vars.LEDGER_DB_CONNECT_TIMEOUT_MS,
          statementTimeoutMs: vars.LEDGER_DB_STATEMENT_TIMEOUT_MS,
          lockTimeoutMs: vars.LEDGER_DB_LOCK_TIMEOUT_MS,
          ...(vars.LEDGER_DB_QUERY_TIMEOUT_MS !== undefined && { queryTimeoutMs: vars.LEDGER_DB_QUERY_TIMEOUT_MS }),
          preparedStatements: vars.LEDGER_DB_PREPARED_STATEMENTS,
        }
      : // pnpm runs scripts inside the package; INIT_CWD is where the user typed `pnpm start`.
        { kind: 'embedded', dataDir: resolve(env.INIT_CWD ?? process.cwd(), vars.LEDGER_DATA_DIR) };
  return {
    config: {
      port: vars.PORT,
      database,
      apiKeys: vars.LEDGER_API_KEYS,
      webhookSecrets: vars.LEDGER_WEBHOOK_SECRET,
      defaultMaturityDays: vars.LEDGER_MATURITY_DAYS,
      payouts: {
        batchSize: vars.LEDGER_PAYOUT_BATCH_SIZE,
        leaseMs: vars.LEDGER_PAYOUT_LEASE_MS,
        pollIntervalMs: vars.LEDGER_PAYOUT_POLL_MS,
      },
      payoutScheduleIntervalMs: vars.LEDGER_PAYOUT_SCHEDULE_INTERVAL_MS,
      sealing: { intervalMs: vars.LEDGER_SEAL_INTERVAL_MS, blockSize: vars.LEDGER_SEAL_BLOCK_SIZE },
      checkpointAfterEntries: vars.LEDGER_CHECKPOINT_AFTER_ENTRIES,
      outbound: {
        allowedHosts: vars.LEDGER_OUTBOUND_ALLOWED_HOSTS,
        timeoutMs: vars.LEDGER_OUTBOUND_TIMEOUT_MS,
        maxAttempts: vars.LEDGER_OUTBOUND_MAX_ATTEMPTS,
        retryBaseMs: vars.LEDGER_OUTBOUND_RETRY_BASE_MS,
        retryCapMs: vars.LEDGER_OUTBOUND_RETRY_CAP_MS,
        pollIntervalMs: vars.LEDGER_OUTBOUND_POLL_MS,
      },
      limits: {
        bodyBytesMax: vars.LEDGER_BODY_LIMIT_BYTES,
        batchBodyBytesMax: vars.LEDGER_BATCH_BODY_LIMIT_BYTES,
        reconciliationBodyBytesMax: vars.LEDGER_RECONCILIATION_BODY_LIMIT_BYTES,
        rateLimits: {
          windowMs: vars.LEDGER_RATE_LIMIT_WINDOW_MS,
          perApiKey: vars.LEDGER_RATE_LIMIT_PER_KEY,
          perIp: vars.LEDGER_RATE_LIMIT_PER_IP,
          webhookPerIp: vars.LEDGER_WEBHOOK_RATE_LIMIT_PER_IP,
        },
        readyTimeoutMs: vars.LEDGER_READY_TIMEOUT_MS,
      },
      trustProxy: vars.LEDGER_TRUST_PROXY,
      shutdownTimeoutMs: vars.LEDGER_SHUTDOWN_TIMEOUT_MS,
      workers,
      production,
    },
    warnings,
  };
}

/**
 * LEDGER_WORKERS as a count: `auto` is every core this process may use. The embedded database is
 * one session inside one process, so it serves from one process: `auto` falls back to 1 (with a
 * warning), and an explicit count above 1 is refused.
 */
function workerCount(setting: number | 'auto', postgres: boolean, warnings: string[]): number {
  if (postgres) return setting === 'auto' ? Math.min(availableParallelism(), WORKERS_MAX) : setting;
  if (setting === 'auto') {
    warnings.push('LEDGER_WORKERS=auto: the embedded database serves from one process; set DATABASE_URL to use every core');
    return 1;
  }
  if (setting > 1) {
    throw new ConfigError(`LEDGER_WORKERS=${setting} needs DATABASE_URL: the embedded database is one session in one process`);
  }
  return 1;
}
