import type { ColumnType, Kysely, Transaction } from 'kysely';

/**
 * int8 as the drivers hand it back: node-postgres gives strings, PGlite numbers or bigints.
 * Read it only through `int8ToSafeInteger` (./int8.ts); never trust the raw value.
 */
export type Int8 = ColumnType<string | number | bigint, number | bigint, never>;
type GeneratedInt8 = ColumnType<string | number | bigint, never, never>;
type CreatedAt = ColumnType<Date, never, never>;

export type JsonObject = { [key: string]: unknown };

export interface RestaurantsTable {
  id: string;
  name: string | null;
  maturity_days: number;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, never, Date>;
}

export interface ProcessorEventsTable {
  id: GeneratedInt8;
  event_id: string;
  event_type: string;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8;
  fee_minor: Int8;
  /** Written as an ISO-8601 string so PostgreSQL keeps its full precision. */
  occurred_at: ColumnType<Date, string, never>;
  metadata: ColumnType<JsonObject, string, never>;
  raw_payload: ColumnType<unknown, string, never>;
  received_at: CreatedAt;
}

export interface LedgerEntriesTable {
  id: GeneratedInt8;
  processor_event_id: ColumnType<string | number | bigint, number | bigint | string, never>;
  restaurant_id: string;
  currency: string;
  entry_type: string;
  amount_minor: Int8;
  occurred_at: ColumnType<Date, string, never>;
  available_at: ColumnType<Date, string, never>;
  created_at: CreatedAt;
}

export interface Database {
  restaurants: RestaurantsTable;
  processor_events: ProcessorEventsTable;
  ledger_entries: LedgerEntriesTable;
}

export type LedgerDb = Kysely<Database>;
export type LedgerTransaction = Transaction<Database>;
