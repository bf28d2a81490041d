import { resolve } from 'node:path';
import {
  CONNECT_TIMEOUT_MS_DEFAULT,
  type DatabaseTarget,
  MATURITY_DAYS_DEFAULT,
  MATURITY_DAYS_MAX,
  PAYOUT_BATCH_SIZE_DEFAULT,
  PAYOUT_LEASE_MS_DEFAULT,
  PAYOUT_POLL_INTERVAL_MS_DEFAULT,
  POOL_SIZE_DEFAULT,
  STATEMENT_TIMEOUT_MS_DEFAULT,
} from '@restaurant-ledger/core';
import { z } from 'zod';

export interface ServerConfig {
  port: number;
  database: DatabaseTarget;
  /** Keys accepted as `Authorization: Bearer <key>`; empty means the API is open. */
  apiKeys: readonly string[];
  /** Standard Webhooks secrets (`whsec_…`); several during a rotation; empty means unsigned. */
  webhookSecrets: readonly string[];
  defaultMaturityDays: number;
  payouts: { batchSize: number; leaseMs: number; pollIntervalMs: number };
  production: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const listSchema = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((item) => item.trim()).filter((item) => item.length > 0));

const envSchema = z.object({
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
  LEDGER_DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(POOL_SIZE_DEFAULT),
  LEDGER_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(CONNECT_TIMEOUT_MS_DEFAULT),
  LEDGER_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(STATEMENT_TIMEOUT_MS_DEFAULT),
});

const REQUIRED_IN_PRODUCTION = ['DATABASE_URL', 'LEDGER_API_KEYS', 'LEDGER_WEBHOOK_SECRET'] as const;

/**
 * Reads DOMAIN.md §8 settings from the environment. Throws ConfigError naming every bad or (in
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
      throw new ConfigError(`NODE_ENV=production requires ${missing.join(', ')} (missing: ${missing.join(', ')})`);
    }
  }
  const warnings: string[] = [];
  if (vars.LEDGER_API_KEYS.length === 0) warnings.push('LEDGER_API_KEYS is not set: the API is open to anyone who can reach it');
  if (vars.LEDGER_WEBHOOK_SECRET.length === 0) {
    warnings.push('LEDGER_WEBHOOK_SECRET is not set: unsigned webhooks are accepted');
  }
  const database: DatabaseTarget =
    vars.DATABASE_URL !== undefined
      ? {
          kind: 'postgres',
          url: vars.DATABASE_URL,
          poolSize: vars.LEDGER_DB_POOL_MAX,
          connectTimeoutMs: vars.LEDGER_DB_CONNECT_TIMEOUT_MS,
          statementTimeoutMs: vars.LEDGER_DB_STATEMENT_TIMEOUT_MS,
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
      production,
    },
    warnings,
  };
}
