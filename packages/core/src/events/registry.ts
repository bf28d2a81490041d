import { type EntryTypeDefinition, PAYOUT_ENTRY } from '../ledger/entry-types.ts';
import type { EventTypeDefinition } from './event-type.ts';
import { eventInputSchemaFor, type ProcessorEventInput } from './event.schema.ts';
import { BUILT_IN_EVENT_TYPES } from './types/index.ts';

/** Entry types written by something other than an event: the payout run's own debit. */
const NON_EVENT_ENTRY_TYPES: readonly EntryTypeDefinition[] = [PAYOUT_ENTRY];

/** Every event type the ledger applies, and all that derives from them. Built once; never changes. */
export interface EventRegistry {
  readonly eventTypes: readonly EventTypeDefinition[];
  /** Every entry type, written by events or not, each once, in first-declared order. */
  readonly entryTypes: readonly EntryTypeDefinition[];
  /** The schema of an incoming event, whose event_type is one of eventTypes. */
  readonly inputSchema: ReturnType<typeof eventInputSchemaFor>;
  /** The definition of a registered type; throws for any other (the schema let it through: a bug). */
  typeOf(event: ProcessorEventInput): EventTypeDefinition;
}

/**
 * A registry of these event types. The production one is EVENT_REGISTRY; tests build their own
 * with extra types to prove a new type needs nothing but its module (test/event-registry.test.ts).
 * Throws when two types share a name or declare one entry type with different signs or sources.
 */
export function createEventRegistry(eventTypes: readonly EventTypeDefinition[]): EventRegistry {
  const byName = new Map<string, EventTypeDefinition>();
  for (const definition of eventTypes) {
    if (byName.has(definition.event_type)) throw new Error(`event type ${definition.event_type} registered twice`);
    byName.set(definition.event_type, definition);
  }
  const names = [...byName.keys()];
  return {
    eventTypes,
    entryTypes: collectEntryTypes(eventTypes),
    inputSchema: eventInputSchemaFor(names as [string, ...string[]]),
    typeOf(event) {
      const definition = byName.get(event.event_type);
      if (definition === undefined) throw new Error(`event type ${event.event_type} is not registered`);
      return definition;
    },
  };
}

function collectEntryTypes(eventTypes: readonly EventTypeDefinition[]): EntryTypeDefinition[] {
  const byName = new Map<string, EntryTypeDefinition>();
  const declared = [...eventTypes.flatMap((definition) => definition.entries), ...NON_EVENT_ENTRY_TYPES];
  for (const entry of declared) {
    const known = byName.get(entry.entry_type);
    if (known !== undefined && (known.sign !== entry.sign || known.source !== entry.source)) {
      throw new Error(`entry type ${entry.entry_type} declared with two signs or sources`);
    }
    byName.set(entry.entry_type, entry);
  }
  return [...byName.values()];
}

export const EVENT_REGISTRY: EventRegistry = createEventRegistry(BUILT_IN_EVENT_TYPES);
