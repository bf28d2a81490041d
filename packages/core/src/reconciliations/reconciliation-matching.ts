import type { Reconciliation, ReconciliationLists } from './reconciliation.schema.ts';
import { reportTypeOf } from './report-item-types.ts';
import type { ReportPayout, ReportRow } from './settlement-report.ts';

/** A payout as the ledger has it. */
export interface LedgerPayout {
  payout_id: string;
  restaurant_id: string;
  currency: string;
  amount: number;
  status: string;
  /** The UTC day of paid_at; null unless paid. */
  paid_date: string | null;
}

/** One entry a payout settled (its own payout entry excluded), with the event it came from. */
export interface LedgerItem {
  payout_id: string;
  entry_type: string;
  amount: number;
  event_id: string | null;
  payment_id: string | null;
}

type ItemDifference = Reconciliation['matched'][number]['differing_items'][number];

/**
 * Compares a report's payouts with the ledger's (docs/reconciliation.md): a pure function, so the
 * rules are tested without a database. `named` are the ledger payouts the report names by id,
 * `inScope` the ledger's paid payouts inside the report's scope, `items` the settled entries of
 * the named ones.
 */
export function reconcile(
  report: readonly ReportPayout[],
  ledger: { named: readonly LedgerPayout[]; inScope: readonly LedgerPayout[]; items: readonly LedgerItem[] },
): ReconciliationLists {
  const named = new Map(ledger.named.map((payout) => [payout.payout_id, payout]));
  const itemsOf = groupBy(ledger.items, (item) => item.payout_id);
  const lists: ReconciliationLists = { matched: [], amount_mismatch: [], in_ledger_not_in_report: [], in_report_not_in_ledger: [] };
  for (const payout of report) {
    const found = named.get(payout.payout_id);
    const missing = missingReason(payout, found);
    if (missing !== undefined || found === undefined) {
      lists.in_report_not_in_ledger.push({
        payout_id: payout.payout_id,
        currency: payout.currency,
        amount: payout.amount,
        paid_date: payout.paid_date,
        reason: missing ?? 'unknown_payout',
        ledger_status: found?.status ?? null,
        ledger_currency: found?.currency ?? null,
      });
      continue;
    }
    const compared = {
      payout_id: payout.payout_id,
      restaurant_id: found.restaurant_id,
      currency: payout.currency,
      paid_date: payout.paid_date,
      ledger_paid_date: found.paid_date ?? '',
      differing_items: differingItems(payout.rows, itemsOf.get(payout.payout_id) ?? []),
    };
    if (found.amount === payout.amount) lists.matched.push({ ...compared, amount: payout.amount });
    else lists.amount_mismatch.push({ ...compared, ledger_amount: found.amount, report_amount: payout.amount, difference: payout.amount - found.amount });
  }
  const reported = new Set(report.map((payout) => payout.payout_id));
  for (const payout of ledger.inScope) {
    if (reported.has(payout.payout_id)) continue;
    const { payout_id, restaurant_id, currency, amount } = payout;
    lists.in_ledger_not_in_report.push({ payout_id, restaurant_id, currency, amount, ledger_paid_date: payout.paid_date ?? '' });
  }
  return lists;
}

/** Why a report's payout has no paid counterpart in the ledger, or undefined when it has one. */
function missingReason(payout: ReportPayout, found: LedgerPayout | undefined): 'unknown_payout' | 'not_paid' | 'currency_differs' | undefined {
  if (found === undefined) return 'unknown_payout';
  if (found.status !== 'paid') return 'not_paid';
  if (found.currency !== payout.currency) return 'currency_differs';
  return undefined;
}

/**
 * The items whose amounts differ. Report rows with one (type, reference) are summed, a payment_id
 * naming a single event being read as its event_id; each group claims the payout's entries of that
 * report type whose event_id is the reference, or failing that, whose payment_id is. Entries no row
 * claimed are items the report lacks.
 */
export function differingItems(rows: readonly ReportRow[], items: readonly LedgerItem[]): ItemDifference[] {
  const canonical = canonicalReferences(items);
  const reported = new Map<string, { type: string; reference: string; amount: number }>();
  for (const row of rows) {
    const reference = canonical(row.type, row.reference);
    const key = `${row.type}\u0000${reference}`;
    const group = reported.get(key) ?? { type: row.type, reference, amount: 0 };
    group.amount += row.amount;
    reported.set(key, group);
  }
  const unclaimed = new Set(items);
  const byEvent = groupBy(items, (item) => `${reportTypeOf(item.entry_type)}\u0000${item.event_id ?? ''}`);
  const byPayment = groupBy(items, (item) => `${reportTypeOf(item.entry_type)}\u0000${item.payment_id ?? ''}`);
  const differences: ItemDifference[] = [];
  for (const [key, { type, reference, amount }] of reported) {
    const eventItems = (byEvent.get(key) ?? []).filter((item) => unclaimed.has(item));
    const claimed = eventItems.length > 0 ? eventItems : (byPayment.get(key) ?? []).filter((item) => unclaimed.has(item));
    for (const item of claimed) unclaimed.delete(item);
    const ledgerAmount = claimed.length === 0 ? null : claimed.reduce((sum, item) => sum + item.amount, 0);
    if (ledgerAmount !== amount) differences.push({ type, reference, ledger_amount: ledgerAmount, report_amount: amount });
  }
  const left = groupBy([...unclaimed], (item) => `${reportTypeOf(item.entry_type)}\u0000${item.event_id ?? ''}`);
  for (const group of left.values()) {
    const [first] = group;
    if (first === undefined) continue;
    const ledgerAmount = group.reduce((sum, item) => sum + item.amount, 0);
    differences.push({ type: reportTypeOf(first.entry_type), reference: first.event_id ?? '', ledger_amount: ledgerAmount, report_amount: null });
  }
  return differences;
}

/**
 * A report may name one event's items by its event_id on one row and its payment_id on another: a
 * payment_id that names exactly one event among the items of a type is read as that event_id, so
 * both rows describe the same item. A payment_id shared by several events (a charge's fee and its
 * refund's fee) stays as it is and claims all of them.
 */
function canonicalReferences(items: readonly LedgerItem[]): (type: string, reference: string) => string {
  const events = new Set<string>();
  const eventsByPayment = new Map<string, Set<string>>();
  for (const item of items) {
    if (item.event_id === null) continue;
    const type = reportTypeOf(item.entry_type);
    events.add(`${type}\u0000${item.event_id}`);
    if (item.payment_id === null) continue;
    const key = `${type}\u0000${item.payment_id}`;
    eventsByPayment.set(key, (eventsByPayment.get(key) ?? new Set()).add(item.event_id));
  }
  return (type, reference) => {
    if (events.has(`${type}\u0000${reference}`)) return reference;
    const named = eventsByPayment.get(`${type}\u0000${reference}`);
    return named?.size === 1 ? ([...named][0] ?? reference) : reference;
  };
}

function groupBy<T>(values: readonly T[], keyOf: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const key = keyOf(value);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [value]);
    else group.push(value);
  }
  return groups;
}
