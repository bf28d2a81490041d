import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesEventType } from '../src/events/event-type.ts';
import { ENTRY_TYPES, INGESTIBLE_EVENT_TYPES, type EntryType, type ProcessorEventInput } from '../src/events/event.schema.ts';
import { BUILT_IN_EVENT_TYPES } from '../src/events/types/index.ts';
import { createEventRegistry, EVENT_REGISTRY } from '../src/events/registry.ts';
import { ingestEvent, ingestEventBatch, type LedgerContext } from '../src/index.ts';
import { integrityViolations } from '../src/reports/reports.repository.ts';
import { createTestDatabase, DOMAIN_EXAMPLE_EVENT, expectLedgerError, fixedClock, type TestDatabase } from './support/index.ts';

/**
 * A test-only event type: exactly what docs/adr/0003-event-type-registry.md says a new type needs.
 * Its module (this definition) and its migration lines (the two ledger_allow_* calls below).
 */
const TIP_ENTRY = { entry_type: 'tip', sign: 1, source: 'event' } as const;
const tipReceived = entriesEventType({
  event_type: 'tip_received',
  entries: [TIP_ENTRY],
  integrity: { kind: 'entries_sum', amount: 1, fee: 0 },
  plan: (event) => [{ entry_type: 'tip' as EntryType, amount_minor: event.amount, available: 'at_once' }],
});
const registry = createEventRegistry([...BUILT_IN_EVENT_TYPES, tipReceived]);

let testDb: TestDatabase;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = { ...testDb.context({ clock: fixedClock('2026-01-15T00:00:00Z') }), eventRegistry: registry };
  // The migration lines of the new type.
  await sql`SELECT ledger_allow_event_type('tip_received')`.execute(testDb.db);
  await sql`SELECT ledger_allow_entry_type('tip', 1, 'event')`.execute(testDb.db);
});
afterAll(() => testDb.close());

const tip = (overrides: Record<string, unknown> = {}) => ({ ...DOMAIN_EXAMPLE_EVENT, event_id: 'evt_tip_1', event_type: 'tip_received', fee: 0, amount: 500, ...overrides });

describe('a new event type, registered only in this test', () => {
  it('is recorded by the batch route with its entries, next to the built-in types', async () => {
    const outcomes = await ingestEventBatch(ctx, [tip(), { ...DOMAIN_EXAMPLE_EVENT, event_id: 'evt_tip_charge' }]);
    expect(outcomes.map((o) => o.error?.code)).toEqual([undefined, undefined]);
    expect(outcomes[0]?.result?.entries.map((e) => [e.entry_type, e.amount, e.available_at])).toEqual([['tip', 500, '2025-12-20T15:10:00.000Z']]);
  });

  it('is recorded, replayed and refused as a conflict by the single-event path', async () => {
    const event = registry.inputSchema.parse(tip({ event_id: 'evt_tip_2' })) as ProcessorEventInput;
    expect((await ingestEvent(ctx, event, tip({ event_id: 'evt_tip_2' }))).idempotent).toBe(false);
    expect((await ingestEvent(ctx, event, tip({ event_id: 'evt_tip_2' }))).idempotent).toBe(true);
    const conflict = await expectLedgerError(ingestEvent(ctx, { ...event, amount: 501 }, {}), 'EVENT_ID_CONFLICT');
    expect(conflict.details).toMatchObject({ differing_fields: ['amount'] });
  });

  it('is checked by the integrity report with the rule its module gives', async () => {
    expect(await integrityViolations(testDb.db, registry)).toEqual([]);
  });

  it('is refused by the database with the wrong sign, as the built-in entry types are', async () => {
    const { rows } = await sql<{ id: string }>`SELECT id FROM processor_events WHERE event_id = 'evt_tip_1'`.execute(testDb.db);
    const insertNegativeTip = sql`
      INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      VALUES (${rows[0]?.id}, 'res_001', 'PEN', 'tip', -1, now(), now())`.execute(testDb.db);
    await expect(insertNegativeTip).rejects.toThrow(/ledger_entries_sign_by_type/);
  });

  it('is unknown to the production registry', async () => {
    const [outcome] = await ingestEventBatch({ ...ctx, eventRegistry: undefined }, [tip({ event_id: 'evt_tip_3' })]);
    expect(outcome?.error?.code).toBe('EVENT_INVALID_TYPE');
  });
});

describe('the registry', () => {
  it('agrees with the types the database allows', async () => {
    const fresh = await createTestDatabase();
    try {
      const events = await sql<{ event_type: string }>`SELECT event_type FROM ledger_event_types ORDER BY 1`.execute(fresh.db);
      expect(events.rows.map((r) => r.event_type)).toEqual([...INGESTIBLE_EVENT_TYPES].sort());
      const entries = await sql<{ entry_type: string; sign: number; source: string }>`
        SELECT entry_type, sign, source FROM ledger_entry_types ORDER BY 1`.execute(fresh.db);
      const declared = EVENT_REGISTRY.entryTypes.map(({ entry_type, sign, source }) => ({ entry_type, sign, source }));
      expect(entries.rows).toEqual(declared.sort((a, b) => (a.entry_type < b.entry_type ? -1 : 1)));
    } finally {
      await fresh.close();
    }
  });

  it('declares every entry type of the API, and no other', () => {
    expect(EVENT_REGISTRY.entryTypes.map((e) => e.entry_type).sort()).toEqual([...ENTRY_TYPES].sort());
  });

  it('refuses two types of one name, and one entry type with two signs', () => {
    expect(() => createEventRegistry([...BUILT_IN_EVENT_TYPES, tipReceived, tipReceived])).toThrow(/registered twice/);
    const negativeTip = entriesEventType({ ...tipReceived, plan: () => [], entries: [{ ...TIP_ENTRY, sign: -1 }] });
    expect(() => createEventRegistry([tipReceived, { ...negativeTip, event_type: 'tip_reversed' }])).toThrow(/two signs/);
  });
});
