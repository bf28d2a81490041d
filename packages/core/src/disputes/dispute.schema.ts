import { z } from 'zod';
import { cursorParamSchema } from '../cursor.ts';
import { EVENT_ID_LENGTH_MAX } from '../limits.ts';
import { currencySchema, decimalQueryNumber, restaurantIdSchema, signedMinorSchema } from '../shared-schemas.ts';

/** A dispute's lifecycle: opened, then won or lost, once (docs/disputes.md). */
export const DISPUTE_STATUSES = ['open', 'won', 'lost'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** The event types of a dispute's lifecycle, in lifecycle order. */
export const DISPUTE_EVENT_TYPES = ['dispute_opened', 'dispute_won', 'dispute_lost'] as const;

/** Page size of dispute listings (as payouts). */
export const DISPUTE_PAGE_LIMIT_DEFAULT = 50;
export const DISPUTE_PAGE_LIMIT_MAX = 200;

/** A processor's id in metadata: printable ASCII without spaces, like an event_id. */
const processorIdSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(EVENT_ID_LENGTH_MAX, `must be at most ${EVENT_ID_LENGTH_MAX} characters`)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/**
 * What a dispute event's metadata must say: the dispute it belongs to (required on all three types)
 * and, optionally, the charge it disputes. Other metadata keys are the processor's and are kept.
 */
export const disputeMetadataSchema = z.looseObject({
  dispute_id: processorIdSchema,
  charge_event_id: processorIdSchema.optional(),
  payment_id: processorIdSchema.optional(),
});
export type DisputeMetadata = z.output<typeof disputeMetadataSchema>;

export const disputeIdInputSchema = z.strictObject({
  dispute_id: z.string().meta({ description: "The processor's dispute id (metadata.dispute_id)", example: 'dp_0001' }),
});

export const listDisputesInputSchema = z.strictObject({
  restaurant_id: restaurantIdSchema.optional(),
  currency: currencySchema.optional(),
  status: z.enum(DISPUTE_STATUSES).optional(),
  cursor: cursorParamSchema,
  limit: decimalQueryNumber(z.coerce.number<number>().int().min(1).max(DISPUTE_PAGE_LIMIT_MAX)).prefault(DISPUTE_PAGE_LIMIT_DEFAULT),
});
export type ListDisputesInput = z.output<typeof listDisputesInputSchema>;

export const disputeSchema = z
  .object({
    dispute_id: z.string(),
    restaurant_id: z.string(),
    currency: z.string(),
    amount: signedMinorSchema.meta({ description: 'The disputed amount, held while open' }),
    fee: signedMinorSchema.meta({ description: "The processor's dispute fee (never returned)" }),
    status: z.enum(DISPUTE_STATUSES),
    charge_found: z.boolean().meta({ description: 'false: the charge it names is unknown to the ledger (also listed by the integrity report)' }),
    charge: z
      .object({
        event_id: z.string().nullable().meta({ description: "The charge's event_id (as found, else as named in metadata.charge_event_id)" }),
        payment_id: z.string().nullable().meta({ description: "The charge's metadata.payment_id (as found, else as named)" }),
        charge_found: z.boolean(),
      })
      .meta({ description: 'The disputed charge' }),
    opened_at: z.string().meta({ description: 'occurred_at of the dispute_opened event' }),
    closed_at: z.string().nullable().meta({ description: 'When it was won or lost (occurred_at of that event); null while open' }),
    created_at: z.string().meta({ description: 'When the ledger recorded the dispute' }),
    events: z
      .array(z.object({ event_id: z.string(), event_type: z.enum(DISPUTE_EVENT_TYPES), occurred_at: z.string() }))
      .meta({ description: "The dispute's events so far, in lifecycle order" }),
  })
  .meta({ id: 'Dispute' });
export type Dispute = z.output<typeof disputeSchema>;

export const disputePageSchema = z
  .object({ items: z.array(disputeSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'DisputePage' });
export type DisputePage = z.output<typeof disputePageSchema>;

/** What a first delivery of a dispute event did, in the webhook's answer. */
export const disputeEffectSchema = z
  .object({
    dispute_id: z.string(),
    status: z.enum(DISPUTE_STATUSES),
    charge_found: z.boolean(),
  })
  .meta({ id: 'DisputeEffect' });
export type DisputeEffect = z.output<typeof disputeEffectSchema>;
