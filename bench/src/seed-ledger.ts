import { performance } from 'node:perf_hooks';
import { migrateToLatest, projectOutboundEvents, sealPendingEntries, systemClock } from '@restaurant-ledger/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '@restaurant-ledger/core';

/** Where the seeded ledgers live unless BENCH_DATABASE_URL says otherwise. */
export const BENCH_DATABASE_URL_DEFAULT = 'postgres://postgres@127.0.0.1:5432/ledger_bench';
/** Events per INSERT … SELECT: big enough to be fast, small enough to show progress and keep WAL bounded. */
const SEED_CHUNK_EVENTS = 100_000;
/** Every event writes two entries: charges a sale and a fee, refunds a refund and a fee. */
const ENTRIES_PER_EVENT = 2;

export interface SeedGroup {
  /** Restaurant ids are `${prefix}${n}`, n zero-padded, 1..restaurants. */
  prefix: string;
  restaurants: number;
  entriesPerRestaurant: number;
}

export interface SeedPlan {
  name: string;
  groups: SeedGroup[];
}

/**
 * The full plan: single restaurants with 1k, 100k and 1M entries (balance latency by history size)
 * and 10,000 restaurants with 100 entries each (reports and payout runs over many restaurants):
 * 2.1M ledger entries in all, 1.05M processor events.
 */
export const FULL_PLAN: SeedPlan = {
  name: 'full-v1',
  groups: [
    { prefix: 'res_1m_', restaurants: 1, entriesPerRestaurant: 1_000_000 },
    { prefix: 'res_100k_', restaurants: 1, entriesPerRestaurant: 100_000 },
    { prefix: 'res_1k_', restaurants: 1, entriesPerRestaurant: 1_000 },
    { prefix: 'res_bg_', restaurants: 10_000, entriesPerRestaurant: 100 },
  ],
};

export function restaurantId(group: SeedGroup, n: number): string {
  return `${group.prefix}${String(n).padStart(5, '0')}`;
}

/**
 * Creates (if needed), migrates and seeds a benchmark database with `plan`, quickly, in SQL:
 * generate_series writes events and their entries exactly as ingestion would (same signs, fees,
 * maturity), spread over the last 365 days. Every 10th event is a refund; one in seven of the
 * many-restaurant group's events is in USD, the rest in PEN. A database already seeded with the
 * same plan (its COMMENT says so) is left alone. Ends with VACUUM ANALYZE so index-only scans
 * have a current visibility map, as autovacuum would give them.
 */
export async function seedLedger(url: string, plan: SeedPlan, log: (line: string) => void): Promise<void> {
  const database = new URL(url).pathname.slice(1);
  await ensureDatabase(url, database);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1, options: '-c TimeZone=UTC' }) }) });
  try {
    await migrateToLatest(db);
    const marker = await sql<{ comment: string | null }>`SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = current_database()`.execute(db);
    if (marker.rows[0]?.comment === `seed:${plan.name}`) {
      log(`${database} is already seeded with ${plan.name}`);
      await catchUpBackgroundWork(db, log);
      return;
    }
    const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM processor_events`.execute(db);
    if (rows[0]?.n !== '0') throw new Error(`${database} holds events but not the ${plan.name} seed; drop it or name another database`);
    for (const group of plan.groups) await seedGroup(db, group, log);
    log('VACUUM ANALYZE …');
    await sql`VACUUM ANALYZE restaurants, processor_events, ledger_entries`.execute(db);
    await sql`COMMENT ON DATABASE ${sql.id(database)} IS ${sql.lit(`seed:${plan.name}`)}`.execute(db);
    await catchUpBackgroundWork(db, log);
  } finally {
    await db.destroy();
  }
}

/**
 * A running service seals its ledger (docs/tamper-evidence.md) and projects its outbound events
 * (docs/outbound-events.md) as entries arrive. The seed writes straight to the tables, and a
 * template seeded before those existed has neither, so do the backlog here, once per template:
 * otherwise the ledger phase would measure balances and payouts beside a 2M-entry catch-up.
 */
async function catchUpBackgroundWork(db: Kysely<Database>, log: (line: string) => void): Promise<void> {
  const ctx = { db, clock: systemClock, defaultMaturityDays: 7 };
  const startedMs = performance.now();
  let blocks = 0;
  for (let look = await sealPendingEntries(ctx, { maxBlocks: 1_000 }); look.blocks.length > 0; look = await sealPendingEntries(ctx, { maxBlocks: 1_000 })) {
    blocks += look.blocks.length;
    log(`sealing the seeded ledger: ${blocks.toLocaleString('en-US')} blocks, through entry ${look.sealed_through_entry_id}`);
  }
  let passes = 0;
  while ((await projectOutboundEvents(ctx)).more) passes += 1;
  if (blocks > 0 || passes > 0) log(`caught up: ${blocks} blocks sealed, ${passes + 1} projector passes, ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
}

async function seedGroup(db: Kysely<Database>, group: SeedGroup, log: (line: string) => void): Promise<void> {
  const eventsPerRestaurant = group.entriesPerRestaurant / ENTRIES_PER_EVENT;
  const totalEvents = eventsPerRestaurant * group.restaurants;
  const startedMs = performance.now();
  await sql`
    INSERT INTO restaurants (id, maturity_days)
    SELECT ${group.prefix} || lpad(n::text, 5, '0'), 7 FROM generate_series(1, ${group.restaurants}::int) AS n`.execute(db);
  for (let first = 1; first <= totalEvents; first += SEED_CHUNK_EVENTS) {
    const last = Math.min(first + SEED_CHUNK_EVENTS - 1, totalEvents);
    await db.transaction().execute(async (trx) => {
      await insertEvents(trx, group, first, last, totalEvents);
      await insertEntries(trx, group.prefix, first, last);
    });
    log(`${group.prefix}*: ${last.toLocaleString('en-US')} / ${totalEvents.toLocaleString('en-US')} events`);
  }
  const seconds = (performance.now() - startedMs) / 1000;
  log(`${group.prefix}*: ${group.restaurants} restaurants, ${(totalEvents * ENTRIES_PER_EVENT).toLocaleString('en-US')} entries in ${seconds.toFixed(1)} s`);
}

/** Events first..last of the group: event k belongs to restaurant (k mod restaurants) + 1, in time order. */
async function insertEvents(db: Kysely<Database>, group: SeedGroup, first: number, last: number, totalEvents: number): Promise<void> {
  await sql`
    WITH series AS (
      SELECT k,
        ${group.prefix} || lpad(((k % ${group.restaurants}::int) + 1)::text, 5, '0') AS restaurant_id,
        CASE WHEN k % 10 = 9 THEN 'refund_succeeded' ELSE 'charge_succeeded' END AS event_type,
        CASE WHEN ${group.restaurants}::int > 1 AND k % 7 = 3 THEN 'USD' ELSE 'PEN' END AS currency,
        1000 + (k * 7919) % 50000 AS amount_minor,
        -- Spread over the last 365 days, oldest first, ending an hour ago.
        date_trunc('second', now()) - interval '1 hour' - interval '365 days' * (1 - k::float8 / ${totalEvents}::int) AS occurred_at
      FROM generate_series(${first}::bigint, ${last}::bigint) AS k
    )
    INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, metadata, raw_payload)
    SELECT 'evt_' || ${group.prefix} || k, event_type, restaurant_id, currency, amount_minor,
      CASE WHEN event_type = 'refund_succeeded' THEN 25 ELSE amount_minor * 3 / 100 END,
      occurred_at, jsonb_build_object('payment_id', 'pay_' || k),
      jsonb_build_object('event_id', 'evt_' || ${group.prefix} || k, 'event_type', event_type, 'restaurant_id', restaurant_id,
        'currency', currency, 'amount', amount_minor, 'occurred_at', occurred_at)
    FROM series`.execute(db);
}

/** Each event's two entries, as the charge and refund handlers write them. */
async function insertEntries(db: Kysely<Database>, prefix: string, first: number, last: number): Promise<void> {
  await sql`
    INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
    SELECT pe.id, pe.restaurant_id, pe.currency, e.entry_type, e.amount_minor, pe.occurred_at,
      CASE WHEN pe.event_type = 'charge_succeeded' THEN pe.occurred_at + interval '7 days' ELSE pe.occurred_at END
    FROM processor_events pe
    CROSS JOIN LATERAL (VALUES
      (CASE WHEN pe.event_type = 'charge_succeeded' THEN 'sale' ELSE 'refund' END,
       CASE WHEN pe.event_type = 'charge_succeeded' THEN pe.amount_minor ELSE -pe.amount_minor END),
      ('fee', -pe.fee_minor)) AS e (entry_type, amount_minor)
    WHERE pe.event_id = ANY (SELECT 'evt_' || ${prefix} || k FROM generate_series(${first}::int, ${last}::int) AS k)
    ORDER BY pe.id`.execute(db);
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`benchmark database name ${database} must be a plain identifier`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
}
