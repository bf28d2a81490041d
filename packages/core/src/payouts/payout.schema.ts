import { z } from 'zod';
import { cursorParamSchema } from '../cursor.ts';
import { ENTRY_TYPES, type EntryType } from '../events/event.schema.ts';
import { currencySchema, decimalQueryNumber, minorUnitsSchema, payoutDaySchema, restaurantIdSchema, signedMinorSchema } from '../shared-schemas.ts';
import { PAYOUT_PAGE_LIMIT_DEFAULT, PAYOUT_PAGE_LIMIT_MAX } from '../limits.ts';

export const PAYOUT_STATUSES = ['created', 'processing', 'paid', 'failed'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];
export const PAYOUT_RUN_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
/** A payout's items are the entry types it settles: every type but its own `payout` entry. */
export const PAYOUT_ITEM_TYPES = ENTRY_TYPES.filter((type) => type !== 'payout') as unknown as readonly [
  Exclude<EntryType, 'payout'>,
  ...Array<Exclude<EntryType, 'payout'>>,
];
/** How a payout run was created: by POST /v1/payouts/run, or by the scheduler for one restaurant. */
export const PAYOUT_RUN_TRIGGERS = ['manual', 'schedule'] as const;

/**
 * Why a payout run leaves a restaurant unpaid, in the order the API lists them. The one list: the
 * run's counters (payout_runs.skipped_<reason>), the rule that picks a reason
 * (payout-eligibility.repository.ts), the PayoutRun schema and docs/payouts.md all follow it.
 */
export const PAYOUT_SKIP_REASONS = [
  'below_min_amount',
  'not_positive',
  'open_payout',
  'already_paid_for_as_of',
  'later_payout_exists',
  'amount_out_of_range',
  'below_payout_minimum',
] as const;
export const payoutSkipReasonSchema = z.enum(PAYOUT_SKIP_REASONS);
export type PayoutSkipReason = z.output<typeof payoutSkipReasonSchema>;
/** How many restaurants a run skipped, by reason. */
export type PayoutSkipCounts = Record<PayoutSkipReason, number>;

const SKIP_REASON_DESCRIPTIONS: Partial<Record<PayoutSkipReason, string>> = {
  later_payout_exists: 'A payout with a later cutoff exists: paying an earlier as_of now could exceed what was available then',
  amount_out_of_range: 'The amount, or one of its items, is beyond 2^53-1 minor units (see BALANCE_OUT_OF_RANGE in the integrity report)',
  below_payout_minimum: "The amount reaches min_amount but not the restaurant's payout_minimum for the currency",
};

const skippedCountsSchema = z.object(
  Object.fromEntries(
    PAYOUT_SKIP_REASONS.map((reason) => {
      const description = SKIP_REASON_DESCRIPTIONS[reason];
      return [reason, description === undefined ? z.number().int() : z.number().int().meta({ description })];
    }),
  ) as Record<PayoutSkipReason, z.ZodNumber>,
);

const pageLimitSchema = decimalQueryNumber(z.coerce.number<number>().int().min(1).max(PAYOUT_PAGE_LIMIT_MAX)).prefault(PAYOUT_PAGE_LIMIT_DEFAULT);

export const requestPayoutRunSchema = z
  .strictObject({
    currency: currencySchema,
    as_of: payoutDaySchema.meta({
      description: 'Pay what was available at the end of this UTC day (or now, if earlier). Not after today.',
      example: '2025-12-27',
    }),
    min_amount: minorUnitsSchema(0).default(0).meta({ description: 'Skip restaurants owed less than this', example: 5000 }),
  })
  .meta({ id: 'PayoutRunRequest' });
export type RequestPayoutRunInput = z.output<typeof requestPayoutRunSchema>;

export const payoutRunSchema = z
  .object({
    run_id: z.string(),
    status: z.enum(PAYOUT_RUN_STATUSES),
    currency: z.string(),
    as_of: z.string(),
    min_amount: z.number().int(),
    cutoff: z.string().nullable().meta({ description: 'Entries available at or before this moment are paid; fixed when the run starts' }),
    trigger: z.enum(PAYOUT_RUN_TRIGGERS).meta({ description: 'manual: POST /v1/payouts/run, every restaurant; schedule: the scheduler, one restaurant' }),
    restaurant_id: z.string().nullable().meta({ description: 'The one restaurant a scheduled run pays; null for a manual run' }),
    scheduled_date: z.string().nullable().meta({ description: 'The date a scheduled run is for (its as_of); null for a manual run' }),
    created: z.number().int().meta({ description: 'Payouts this run created' }),
    skipped: skippedCountsSchema,
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    requested_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'PayoutRun' });
export type PayoutRun = z.output<typeof payoutRunSchema>;

export const listPayoutRunsInputSchema = z.strictObject({
  trigger: z.enum(PAYOUT_RUN_TRIGGERS).optional(),
  restaurant_id: restaurantIdSchema.optional(),
  currency: currencySchema.optional(),
  scheduled_date: payoutDaySchema.optional().meta({ description: 'Scheduled runs for this date (YYYY-MM-DD)', example: '2025-12-27' }),
  cursor: cursorParamSchema,
  limit: pageLimitSchema,
});
export type ListPayoutRunsInput = z.output<typeof listPayoutRunsInputSchema>;

export const payoutRunPageSchema = z
  .object({ items: z.array(payoutRunSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'PayoutRunPage' });
export type PayoutRunPage = z.output<typeof payoutRunPageSchema>;

// Any string: an id that cannot exist is simply not found (404), as docs/payouts.md says.
export const runIdInputSchema = z.strictObject({ run_id: z.string() });
export const payoutIdInputSchema = z.strictObject({ payout_id: z.string() });

export const payoutSchema = z
  .object({
    payout_id: z.string(),
    run_id: z.string().meta({ description: 'The payout run that made it' }),
    restaurant_id: z.string(),
    currency: z.string(),
    amount: signedMinorSchema,
    status: z.enum(PAYOUT_STATUSES),
    as_of: z.string(),
    created_at: z.string(),
    paid_at: z.string().nullable(),
    items: z
      .array(z.object({ type: z.enum(PAYOUT_ITEM_TYPES), amount: signedMinorSchema }))
      .meta({ description: 'The amount broken down by entry type; always sums to amount' }),
    deficit_recovered: z.number().int().min(0).meta({
      description:
        'The deficit (negative available balance) this payout first paid back out of its earnings: minus the lowest running ' +
        'sum of the entries it settles, in available_at order, when that goes below zero; else 0 (docs/payouts.md#deficits)',
    }),
  })
  .meta({ id: 'Payout' });
export type Payout = z.output<typeof payoutSchema>;

export const listPayoutsInputSchema = z.strictObject({
  run_id: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, 'run_id is a payout run id: a positive decimal integer')
    .optional()
    .meta({ description: 'Only the payouts this run made', example: '42' }),
  restaurant_id: restaurantIdSchema.optional(),
  currency: currencySchema.optional(),
  status: z.enum(PAYOUT_STATUSES).optional(),
  cursor: cursorParamSchema,
  limit: pageLimitSchema,
});
export type ListPayoutsInput = z.output<typeof listPayoutsInputSchema>;

export const payoutPageSchema = z
  .object({ items: z.array(payoutSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'PayoutPage' });
export type PayoutPage = z.output<typeof payoutPageSchema>;
