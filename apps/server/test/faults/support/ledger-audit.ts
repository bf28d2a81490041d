import pg from 'pg';
import type { HttpClient } from './http-client.ts';
import { balanceAt, entriesOf, type ModelBalance, type ModelEntry, type ModelEvent, pairsOf } from './ledger-model.ts';

/** What the database holds, event by event, compared with the model. */
export interface LedgerAudit {
  /** Events in processor_events. */
  recorded: number;
  /** Expected events that are not recorded. */
  missing: string[];
  /** Recorded events that were never sent. */
  unexpected: string[];
  /** Recorded events with fewer entries than the model, or different ones. */
  partial: string[];
  /** Recorded events with more entries than the model. */
  doubled: string[];
}

interface RecordedEvent {
  event_id: string;
  entries: Array<{ entry_type: ModelEntry['entry_type']; amount: number; occurred_at: string; available_at: string }>;
}

/**
 * Reads every processor event with its ledger entries straight from PostgreSQL (not through the
 * server under test) and compares each with the entries the model says it must have written.
 */
export async function auditLedger(databaseUrl: string, expected: readonly ModelEvent[]): Promise<LedgerAudit> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let rows: RecordedEvent[];
  try {
    ({ rows } = await client.query<RecordedEvent>(`
      SELECT e.event_id,
        COALESCE(json_agg(json_build_object(
          'entry_type', le.entry_type, 'amount', le.amount_minor,
          'occurred_at', le.occurred_at, 'available_at', le.available_at) ORDER BY le.id)
          FILTER (WHERE le.id IS NOT NULL), '[]') AS entries
      FROM processor_events e LEFT JOIN ledger_entries le ON le.processor_event_id = e.id
      GROUP BY e.event_id`));
  } finally {
    await client.end();
  }
  const byId = new Map(rows.map((row) => [row.event_id, row]));
  const expectedIds = new Set(expected.map((e) => e.event_id));
  const audit: LedgerAudit = { recorded: rows.length, missing: [], unexpected: [], partial: [], doubled: [] };
  for (const event of expected) {
    const row = byId.get(event.event_id);
    if (row === undefined) {
      audit.missing.push(event.event_id);
      continue;
    }
    const want = entriesOf(event).map(({ event_id: _, ...entry }) => entry);
    const got = row.entries.map((entry) => ({
      ...entry,
      occurred_at: new Date(entry.occurred_at).toISOString(),
      available_at: new Date(entry.available_at).toISOString(),
    }));
    if (got.length > want.length) audit.doubled.push(event.event_id);
    else if (JSON.stringify(got) !== JSON.stringify(want)) audit.partial.push(event.event_id);
  }
  audit.unexpected = rows.map((row) => row.event_id).filter((id) => !expectedIds.has(id));
  return audit;
}

/**
 * Every (restaurant, currency) balance the server answers at `asOf`, beside the model's, for the
 * caller to compare with one `toEqual` (so a failure shows every pair that differs).
 */
export async function balancesBesideModel(
  client: HttpClient,
  events: readonly ModelEvent[],
  asOf: Date,
): Promise<{ server: Record<string, ModelBalance | string>; model: Record<string, ModelBalance> }> {
  const server: Record<string, ModelBalance | string> = {};
  const model: Record<string, ModelBalance> = {};
  for (const { restaurant_id, currency } of pairsOf(events)) {
    const key = `${restaurant_id} ${currency}`;
    model[key] = balanceAt(events, restaurant_id, currency, asOf);
    const answer = await client.get(`/v1/restaurants/${restaurant_id}/balance?currency=${currency}&as_of=${encodeURIComponent(asOf.toISOString())}`);
    if (answer.kind === 'answer' && answer.status === 200) {
      const { available, pending, total, last_event_at } = answer.body.data as ModelBalance;
      server[key] = { available, pending, total, last_event_at };
    } else {
      server[key] = answer.kind === 'answer' ? `HTTP ${answer.status}` : answer.message;
    }
  }
  return { server, model };
}
