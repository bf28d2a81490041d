import { z } from 'zod';
import { cursorParamSchema } from '../cursor.ts';
import { asOfSchema, currencySchema, decimalQueryNumber, minorUnitsSchema, payoutDaySchema, signedMinorSchema } from '../shared-schemas.ts';
import { REPORT_PAGE_LIMIT_DEFAULT, REPORT_PAGE_LIMIT_MAX, REVENUE_DAYS_MAX } from '../limits.ts';

/** `limit` of a paged report (Q1, Q5). */
const reportPageLimitSchema = decimalQueryNumber(z.coerce.number<number>().int().min(1).max(REPORT_PAGE_LIMIT_MAX)).prefault(
  REPORT_PAGE_LIMIT_DEFAULT,
);

export const INTEGRITY_REASONS = [
  'EVENT_WITHOUT_ENTRIES',
  'EVENT_ENTRIES_MISMATCH',
  'ENTRY_WITHOUT_SOURCE',
  'ENTRY_WRONG_SIGN',
  'PAYOUT_ITEMS_MISMATCH',
  'PAYOUT_EVENT_UNMATCHED',
  'PAYOUT_EVENT_CONTRADICTED',
  'BALANCE_OUT_OF_RANGE',
  'PAYOUT_NOT_ZERO_SUM',
  'DISPUTE_CHARGE_NOT_FOUND',
  'DISPUTE_PROJECTION_MISMATCH',
  'ENTRIES_NOT_NETTED',
  'RECONCILIATION_COUNTS_MISMATCH',
  'PAYOUT_FRONTIER_BROKEN',
  'BALANCE_CHECKPOINT_MISMATCH',
  'STATEMENT_CHECKPOINT_MISMATCH',
  'LEDGER_SEAL_BROKEN',
  'OUTBOUND_EVENT_MISSING',
  'OUTBOUND_DELIVERY_INCONSISTENT',
] as const;

// Q1
export const balancesReportInputSchema = z.strictObject({
  currency: currencySchema,
  as_of: asOfSchema.optional(),
  cursor: cursorParamSchema,
  limit: reportPageLimitSchema,
});
export type BalancesReportInput = z.output<typeof balancesReportInputSchema>;
export const balancesReportSchema = z
  .object({
    currency: z.string(),
    as_of: z.string(),
    items: z.array(z.object({ restaurant_id: z.string(), available: signedMinorSchema, last_event_at: z.string().nullable() })),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'BalancesReport' });
export type BalancesReport = z.output<typeof balancesReportSchema>;

// Q2
export const topRestaurantsInputSchema = z.strictObject({
  currency: currencySchema,
  days: decimalQueryNumber(z.coerce.number<number>().int().min(1).max(REVENUE_DAYS_MAX)).prefault(30),
});
export type TopRestaurantsInput = z.output<typeof topRestaurantsInputSchema>;
export const topRestaurantsSchema = z
  .object({
    currency: z.string(),
    from: z.string(),
    to: z.string(),
    items: z.array(
      z.object({
        rank: z.number().int(),
        restaurant_id: z.string(),
        net_revenue: signedMinorSchema.meta({ description: 'sales - fees - refunds of events in the window' }),
        charges: z.number().int(),
        refunds: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'TopRestaurants' });
export type TopRestaurants = z.output<typeof topRestaurantsSchema>;

// Q3
export const payoutEligibilityInputSchema = z.strictObject({
  currency: currencySchema,
  as_of: payoutDaySchema,
  // A query parameter arrives as text: coerce it here, explicitly, then apply the money rules.
  min_amount: decimalQueryNumber(z.coerce.number<number>().pipe(minorUnitsSchema(0))).prefault(0),
});
export type PayoutEligibilityInput = z.output<typeof payoutEligibilityInputSchema>;
export const payoutEligibilitySchema = z
  .object({
    currency: z.string(),
    as_of: z.string(),
    cutoff: z.string(),
    items: z.array(z.object({ restaurant_id: z.string(), amount: signedMinorSchema })),
  })
  .meta({ id: 'PayoutEligibility' });
export type PayoutEligibility = z.output<typeof payoutEligibilitySchema>;

// Q5: restaurants in deficit
export const deficitsReportInputSchema = z.strictObject({
  currency: currencySchema,
  cursor: cursorParamSchema,
  limit: reportPageLimitSchema,
});
export type DeficitsReportInput = z.output<typeof deficitsReportInputSchema>;
export const deficitsReportSchema = z
  .object({
    currency: z.string(),
    as_of: z.string(),
    items: z.array(
      z.object({
        restaurant_id: z.string(),
        currency: z.string(),
        deficit: signedMinorSchema.meta({ description: 'What the restaurant owes: minus its available balance (> 0)' }),
        since: z.string().meta({ description: 'When its available balance last went below zero' }),
        age_days: z.number().int().meta({ description: 'Whole days from since to as_of' }),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'DeficitsReport' });
export type DeficitsReport = z.output<typeof deficitsReportSchema>;

// Q4
export const integrityReportSchema = z
  .object({
    healthy: z.boolean(),
    items: z.array(
      z.object({
        reason: z.enum(INTEGRITY_REASONS),
        event_id: z.string().nullable(),
        entry_id: z.string().nullable(),
        payout_id: z.string().nullable(),
        detail: z.string(),
      }),
    ),
  })
  .meta({ id: 'IntegrityReport' });
export type IntegrityReport = z.output<typeof integrityReportSchema>;

