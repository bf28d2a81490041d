import { BALANCE_CHECK_PAIRS_MAX, REQUEST_TIMEOUT_MS } from './limits.ts';
import type { BalancePair } from './peer-formats.ts';
import { parseLine } from './peer-formats.ts';
import { readLines } from './read-lines.ts';

export interface Balance {
  available: number;
  pending: number;
  total: number;
}

export interface BalanceChange extends BalancePair {
  /** null: the restaurant did not exist. */
  before: Balance | null;
  after: Balance | null;
}

export type BalanceCheck =
  | { checked: false; reason: string }
  | { checked: true; pairs: number; asOf: string; changed: BalanceChange[] };

/** Balances keyed by `restaurant currency`; null when the restaurant does not exist. */
export type BalanceSnapshot = Map<string, Balance | null>;

interface BalanceReader {
  url: string;
  apiKey: string | undefined;
  asOf: string;
  concurrency: number;
}

/** Every well-formed restaurant/currency pair the file names, or undefined past the limit. */
export async function collectBalancePairs(file: string): Promise<BalancePair[] | undefined> {
  const pairs = new Map<string, BalancePair>();
  for await (const line of readLines(file)) {
    if (line.blank) continue;
    const parsed = parseLine(line.text);
    if (parsed.kind !== 'json' || parsed.pair === undefined) continue;
    pairs.set(pairKey(parsed.pair), parsed.pair);
    if (pairs.size > BALANCE_CHECK_PAIRS_MAX) return undefined;
  }
  return [...pairs.values()];
}

/**
 * Reads each pair's balance at one fixed `asOf`, so a second reading differs only if events at or
 * before that instant were written in between. Throws when the server will not answer a balance.
 */
export async function readBalances(reader: BalanceReader, pairs: readonly BalancePair[]): Promise<BalanceSnapshot> {
  const snapshot: BalanceSnapshot = new Map();
  const queue = [...pairs];
  const worker = async (): Promise<void> => {
    for (let pair = queue.shift(); pair !== undefined; pair = queue.shift()) {
      snapshot.set(pairKey(pair), await readBalance(reader, pair));
    }
  };
  await Promise.all(Array.from({ length: Math.min(reader.concurrency, Math.max(queue.length, 1)) }, worker));
  return snapshot;
}

export function compareBalances(pairs: readonly BalancePair[], before: BalanceSnapshot, after: BalanceSnapshot): BalanceChange[] {
  return pairs.flatMap((pair) => {
    const was = before.get(pairKey(pair)) ?? null;
    const is = after.get(pairKey(pair)) ?? null;
    return sameBalance(was, is) ? [] : [{ ...pair, before: was, after: is }];
  });
}

async function readBalance(reader: BalanceReader, pair: BalancePair): Promise<Balance | null> {
  const query = new URLSearchParams({ currency: pair.currency, as_of: reader.asOf });
  const url = `${reader.url}/v1/restaurants/${encodeURIComponent(pair.restaurantId)}/balance?${query}`;
  const response = await fetch(url, {
    headers: reader.apiKey === undefined ? {} : { authorization: `Bearer ${reader.apiKey}` },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await response.json().catch(() => undefined)) as
    | { data?: Partial<Balance>; error?: { code?: string } }
    | undefined;
  if (response.status === 404 && body?.error?.code === 'RESTAURANT_NOT_FOUND') return null;
  const data = body?.data;
  if (response.status !== 200 || data === undefined || !isBalance(data)) {
    throw new Error(`GET ${url} answered ${response.status} ${body?.error?.code ?? ''}`.trim());
  }
  return { available: data.available, pending: data.pending, total: data.total };
}

function isBalance(data: Partial<Balance>): data is Balance {
  return [data.available, data.pending, data.total].every((value) => Number.isSafeInteger(value));
}

function sameBalance(a: Balance | null, b: Balance | null): boolean {
  if (a === null || b === null) return a === b;
  return a.available === b.available && a.pending === b.pending && a.total === b.total;
}

function pairKey(pair: BalancePair): string {
  return `${pair.restaurantId} ${pair.currency}`;
}
