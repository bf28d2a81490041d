/**
 * Field spellings of other implementations' event files, and the wire field each one means. Only
 * these are mapped: any other unknown field is sent as it is, so the server refuses the line
 * (422) rather than the loader guessing what it meant.
 */
export const PEER_FIELD_RENAMES: Readonly<Record<string, string>> = {
  amount_cents: 'amount',
  fee_cents: 'fee',
};

export type ParsedLine =
  | { kind: 'json'; body: string; eventId: string | undefined; pair: BalancePair | undefined; renamed: string[] }
  | { kind: 'not_json'; message: string };

/** The restaurant and currency a line names, when both are well-formed (for the balance check). */
export interface BalancePair {
  restaurantId: string;
  currency: string;
}

const RESTAURANT_ID_FORMAT = /^[A-Za-z0-9_-]{1,64}$/;
const CURRENCY_FORMAT = /^[A-Z]{3}$/;

/**
 * Parses one line and maps peer spellings to ours. The body sent is the line itself when nothing
 * was renamed (the server sees exactly what the file holds), else the re-serialized object.
 */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'not_json', message: error instanceof Error ? error.message : String(error) };
  }
  if (!isPlainObject(value)) return { kind: 'json', body: text, eventId: undefined, pair: undefined, renamed: [] };
  const { mapped, renamed } = renamePeerFields(value);
  return {
    kind: 'json',
    body: renamed.length === 0 ? text : JSON.stringify(mapped),
    eventId: typeof mapped.event_id === 'string' ? mapped.event_id : undefined,
    pair: balancePairOf(mapped),
    renamed,
  };
}

function renamePeerFields(event: Record<string, unknown>): { mapped: Record<string, unknown>; renamed: string[] } {
  const renamed: string[] = [];
  // Rebuilt key by key so the mapped body keeps the file's field order. No prototype, so a
  // "__proto__" key in the file stays a plain field (and the server refuses it as unknown).
  const mapped: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(event)) {
    const target = PEER_FIELD_RENAMES[key];
    // A line that already has the wire field keeps both: overwriting either would hide a
    // disagreement, and the server refuses the unknown one with its name.
    if (target !== undefined && !Object.hasOwn(event, target)) {
      mapped[target] = value;
      renamed.push(key);
    } else {
      mapped[key] = value;
    }
  }
  return { mapped, renamed };
}

function balancePairOf(event: Record<string, unknown>): BalancePair | undefined {
  const { restaurant_id: restaurantId, currency } = event;
  if (typeof restaurantId !== 'string' || !RESTAURANT_ID_FORMAT.test(restaurantId)) return undefined;
  if (typeof currency !== 'string' || !CURRENCY_FORMAT.test(currency)) return undefined;
  return { restaurantId, currency };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
