import { z } from 'zod';
import { currencySchema, signedMinorSchema } from '../shared-schemas.ts';

/** The settlement report's header line, exactly (docs/reconciliation.md). */
export const SETTLEMENT_REPORT_COLUMNS = ['payout_id', 'amount', 'currency', 'paid_date', 'type', 'reference'] as const;
export const SETTLEMENT_REPORT_HEADER = SETTLEMENT_REPORT_COLUMNS.join(',');

/** What a settlement report row can be: the processor's words for the items of a payout. */
export const REPORT_ITEM_TYPES = ['charge', 'refund', 'dispute', 'fee'] as const;
export type ReportItemType = (typeof REPORT_ITEM_TYPES)[number];

export const importReconciliationInputSchema = z
  .strictObject({
    csv: z.string().meta({
      description: `The settlement report, UTF-8 CSV whose first line is exactly \`${SETTLEMENT_REPORT_HEADER}\``,
    }),
  })
  .meta({ description: 'A processor settlement report (the SDK sends the CSV text; REST takes it as a text/csv body)' });
export type ImportReconciliationInput = z.output<typeof importReconciliationInputSchema>;

export const reconciliationIdInputSchema = z.strictObject({
  reconciliation_id: z.string().max(40).meta({ description: 'Reconciliation id (a decimal string)', example: '1' }),
});

const payoutIdSchema = z.string().meta({ description: 'The payout id as the report and the ledger name it' });
const dateSchema = z.string().meta({ description: 'A calendar date, YYYY-MM-DD' });

const itemDifferenceSchema = z.object({
  type: z.string().meta({ description: 'The report type (charge, refund, dispute, fee), or the entry type of a ledger item no report type covers' }),
  reference: z.string().meta({ description: 'The event_id or payment_id the report used; for a ledger item the report lacks, its event_id' }),
  ledger_amount: signedMinorSchema.nullable().meta({ description: 'What the payout settled for this item; null when the ledger has no such item in it' }),
  report_amount: signedMinorSchema.nullable().meta({ description: 'What the report lists for this item; null when the report lacks it' }),
});

const comparedPayout = {
  payout_id: payoutIdSchema,
  restaurant_id: z.string(),
  currency: currencySchema,
  paid_date: dateSchema.meta({ description: 'The paid_date of the report' }),
  ledger_paid_date: dateSchema.meta({ description: 'The day (UTC) the ledger recorded the payout as paid; shown, not compared' }),
  differing_items: z.array(itemDifferenceSchema).meta({ description: 'The items whose amounts differ between the ledger and the report (empty when every item agrees)' }),
};

export const reconciliationSchema = z
  .object({
    reconciliation_id: z.string(),
    file_sha256: z.string().meta({ description: 'SHA-256 of the file bytes, hex: the same file always gives the same reconciliation' }),
    file_bytes: z.number().int(),
    created_at: z.string().meta({ description: 'When the file was first imported' }),
    scope: z.object({
      currencies: z.array(currencySchema),
      paid_from: dateSchema,
      paid_to: dateSchema,
    }).meta({ description: "The report's currencies and its range of paid_dates: the ledger's paid payouts inside it must all be in the report" }),
    counts: z.object({
      rows: z.number().int(),
      payouts: z.number().int(),
      matched: z.number().int(),
      amount_mismatch: z.number().int(),
      in_ledger_not_in_report: z.number().int(),
      in_report_not_in_ledger: z.number().int(),
    }),
    matched: z.array(z.object({ ...comparedPayout, amount: signedMinorSchema })),
    amount_mismatch: z.array(
      z.object({ ...comparedPayout, ledger_amount: signedMinorSchema, report_amount: signedMinorSchema, difference: signedMinorSchema.meta({ description: 'report_amount - ledger_amount' }) }),
    ),
    in_ledger_not_in_report: z.array(
      z.object({ payout_id: payoutIdSchema, restaurant_id: z.string(), currency: currencySchema, amount: signedMinorSchema, ledger_paid_date: dateSchema }),
    ),
    in_report_not_in_ledger: z.array(
      z.object({
        payout_id: payoutIdSchema,
        currency: currencySchema,
        amount: signedMinorSchema.meta({ description: "The sum of the payout's rows in the report" }),
        paid_date: dateSchema,
        reason: z.enum(['unknown_payout', 'not_paid', 'currency_differs']),
        ledger_status: z.string().nullable().meta({ description: "The ledger payout's status when it exists (created, processing, failed, paid)" }),
        ledger_currency: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'Reconciliation' });
export type Reconciliation = z.output<typeof reconciliationSchema>;

export const importReconciliationResultSchema = reconciliationSchema
  .extend({
    idempotent: z.boolean().meta({ description: 'true when this file (the same bytes) was imported before: the stored reconciliation, nothing written' }),
  })
  .meta({ id: 'ReconciliationImport' });
export type ImportReconciliationResult = z.output<typeof importReconciliationResultSchema>;

/** The four lists and the scope, as stored in `reconciliations.result`. */
export type ReconciliationLists = Pick<Reconciliation, 'matched' | 'amount_mismatch' | 'in_ledger_not_in_report' | 'in_report_not_in_ledger'>;
