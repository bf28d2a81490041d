import { createHash } from 'node:crypto';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { parsePayoutId } from '../payouts/payout-id.ts';
import { type LedgerPayout, reconcile } from './reconciliation-matching.ts';
import {
  findPaidPayoutsInScope,
  findPayoutsByIds,
  findReconciliation,
  findReconciliationByFile,
  findSettledItems,
  insertReconciliationIfNew,
  type LedgerPayoutRow,
  type ReconciliationRow,
} from './reconciliation.repository.ts';
import type { ImportReconciliationResult, Reconciliation, ReconciliationLists } from './reconciliation.schema.ts';
import { readSettlementReport, type SettlementReport } from './settlement-report.ts';

/**
 * Imports a processor settlement report and reconciles it with the ledger (docs/reconciliation.md).
 * The same file (the same bytes, by SHA-256) gives the same reconciliation: the first import stores
 * it (`idempotent: false`), later ones return it (`idempotent: true`) and write nothing. Of
 * concurrent imports of one file, the database's UNIQUE (file_sha256) lets exactly one store it.
 * @throws LedgerError RECONCILIATION_FILE_INVALID (naming every bad line; nothing is stored)
 */
export async function importReconciliation(ctx: LedgerContext, csv: string): Promise<ImportReconciliationResult> {
  const fileSha256 = createHash('sha256').update(csv, 'utf8').digest('hex');
  const known = await findReconciliationByFile(ctx.db, fileSha256);
  if (known !== undefined) return { ...toReconciliation(known), idempotent: true };
  const report = await readSettlementReport(csv);
  const lists = await reconcileWithLedger(ctx, report);
  const inserted = await insertReconciliationIfNew(ctx.db, {
    file_sha256: fileSha256,
    file_bytes: Buffer.byteLength(csv, 'utf8'),
    row_count: report.rowCount,
    payout_count: report.payouts.length,
    ...report.scope,
    counts: countsOf(lists),
    result: JSON.stringify(lists),
  });
  if (inserted !== undefined) return { ...toReconciliation(inserted), idempotent: false };
  // A concurrent import of the same file stored it first; ON CONFLICT waited for its commit.
  const stored = await findReconciliationByFile(ctx.db, fileSha256);
  if (stored === undefined) throw new Error(`reconciliation of file ${fileSha256} conflicted but cannot be read`);
  return { ...toReconciliation(stored), idempotent: true };
}

/** @throws LedgerError RECONCILIATION_NOT_FOUND (also for a malformed id) */
export async function getReconciliation(ctx: LedgerContext, reconciliationId: string): Promise<Reconciliation> {
  // Reconciliation ids are int8 decimal strings, like payout ids.
  const id = parsePayoutId(reconciliationId);
  const row = id === undefined ? undefined : await findReconciliation(ctx.db, id);
  if (row === undefined) {
    throw new LedgerError('RECONCILIATION_NOT_FOUND', `reconciliation ${reconciliationId} not found`, { reconciliation_id: reconciliationId });
  }
  return toReconciliation(row);
}

/** Reads what the comparison needs from one snapshot of the ledger, so a payout paid meanwhile is seen whole or not at all. */
async function reconcileWithLedger(ctx: LedgerContext, report: SettlementReport): Promise<ReconciliationLists> {
  const ids = report.payouts.map((payout) => parsePayoutId(payout.payout_id)).filter((id): id is string => id !== undefined);
  const ledger = await ctx.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const named = (await findPayoutsByIds(trx, ids)).map(toLedgerPayout);
      const inScope = (await findPaidPayoutsInScope(trx, report.scope)).map(toLedgerPayout);
      const compared = named.filter((payout) => payout.status === 'paid').map((payout) => payout.payout_id);
      const items = (await findSettledItems(trx, compared)).map((row) => ({ ...row, amount: int8ToSafeInteger(row.amount_minor) }));
      return { named, inScope, items };
    });
  return reconcile(report.payouts, ledger);
}

function toLedgerPayout(row: LedgerPayoutRow): LedgerPayout {
  return { ...row, amount: int8ToSafeInteger(row.amount_minor) };
}

function countsOf(lists: ReconciliationLists): Omit<Reconciliation['counts'], 'rows' | 'payouts'> {
  return {
    matched: lists.matched.length,
    amount_mismatch: lists.amount_mismatch.length,
    in_ledger_not_in_report: lists.in_ledger_not_in_report.length,
    in_report_not_in_ledger: lists.in_report_not_in_ledger.length,
  };
}

function toReconciliation(row: ReconciliationRow): Reconciliation {
  const lists = (typeof row.result === 'string' ? JSON.parse(row.result) : row.result) as ReconciliationLists;
  return {
    reconciliation_id: int8ToId(row.id),
    file_sha256: row.file_sha256,
    file_bytes: int8ToSafeInteger(row.file_bytes),
    created_at: row.created_at.toISOString(),
    scope: { currencies: row.currencies, paid_from: row.paid_from, paid_to: row.paid_to },
    // As stored: Q4 (RECONCILIATION_COUNTS_MISMATCH) holds them equal to the lists' lengths.
    counts: {
      rows: row.row_count,
      payouts: row.payout_count,
      matched: row.matched_count,
      amount_mismatch: row.amount_mismatch_count,
      in_ledger_not_in_report: row.in_ledger_not_in_report_count,
      in_report_not_in_ledger: row.in_report_not_in_ledger_count,
    },
    matched: lists.matched,
    amount_mismatch: lists.amount_mismatch,
    in_ledger_not_in_report: lists.in_ledger_not_in_report,
    in_report_not_in_ledger: lists.in_report_not_in_ledger,
  };
}
