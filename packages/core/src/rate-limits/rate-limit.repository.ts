import { sql } from 'kysely';
import type { LedgerDb } from '../db/database.ts';

/** What one claim on a client's shared budget got. */
export interface RateLimitClaim {
  /** Requests the claiming server may now admit on its own (0: the window's budget is spent). */
  granted: number;
  /** How much of the window's budget every server together has claimed, this claim included. */
  claimed: number;
  /** How long until the window ends, by the database's clock. */
  msLeft: number;
}

export interface RateLimitClaimRequest {
  scope: string;
  clientKey: string;
  /** The window's whole budget, over every server. */
  limit: number;
  /** How many requests this server asks for (it gets fewer when fewer are left). */
  want: number;
  windowMs: number;
}

/**
 * Claims up to `want` requests of a client's budget in the current fixed window, for every server
 * process sharing this database: one statement, one row locked for the length of an autocommit
 * UPSERT. Windows are aligned to the epoch by the database's clock, so servers with skewed clocks
 * still agree on them. Never claims past `limit`: the sum of all grants of a window is at most the
 * limit, whatever the number of servers.
 */
export async function claimRateLimit(db: LedgerDb, request: RateLimitClaimRequest): Promise<RateLimitClaim> {
  const { scope, clientKey, limit, want, windowMs } = request;
  const { rows } = await sql<{ granted: number; claimed: string; ms_left: number }>`/* prepared */
    WITH ask AS (
      SELECT ${scope}::text AS scope, ${clientKey}::text AS client_key, ${want}::bigint AS want, ${limit}::bigint AS lim,
             ${windowMs}::int AS window_ms, clock_timestamp() AS at),
    win AS (SELECT ask.*, to_timestamp(floor(extract(epoch FROM ask.at) * 1000 / ask.window_ms) * ask.window_ms / 1000.0) AS start FROM ask)
    INSERT INTO rate_limit_windows AS r (scope, client_key, window_start, window_end, claimed, last_claim)
    SELECT scope, client_key, start, start + make_interval(secs => window_ms / 1000.0), LEAST(want, lim), LEAST(want, lim) FROM win
    ON CONFLICT (scope, client_key, window_start) DO UPDATE
      SET claimed = r.claimed + LEAST(excluded.claimed, GREATEST((SELECT lim FROM ask) - r.claimed, 0)),
          last_claim = LEAST(excluded.claimed, GREATEST((SELECT lim FROM ask) - r.claimed, 0))
    RETURNING last_claim::int AS granted, claimed::text AS claimed,
              GREATEST(ceil(extract(epoch FROM r.window_end - clock_timestamp()) * 1000), 1)::int AS ms_left`.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('rate limit claim returned no row');
  return { granted: row.granted, claimed: Number(row.claimed), msLeft: row.ms_left };
}

/** Deletes the windows that have ended (any server may; running it twice at once is harmless). */
export async function deleteEndedRateLimitWindows(db: LedgerDb): Promise<number> {
  const result = await db.deleteFrom('rate_limit_windows').where('window_end', '<', sql<Date>`clock_timestamp()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
