import { z } from 'zod';
import {
  EVENT_BATCH_MAX,
  EVENT_ID_LENGTH_MAX,
  OCCURRED_AT_MIN,
  METADATA_BYTES_MAX,
  METADATA_DEPTH_MAX,
} from '../limits.ts';
import { disputeEffectSchema } from '../disputes/dispute.schema.ts';
import { BUILT_IN_EVENT_TYPES } from './types/index.ts';
import { findUnstorableString, jsonDepthExceeds, UNSTORABLE_STRING_MESSAGE } from '../json-safety.ts';
import {
  minorUnitsSchema,
  currencySchema,
  isoDateTimeSchema,
  restaurantIdSchema,
  signedMinorSchema,
} from '../shared-schemas.ts';

type EventTypeNames<T extends readonly { event_type: string }[]> = { readonly [K in keyof T]: T[K]['event_type'] };

/** Event types this ledger applies: the registry's (events/types/index.ts), in its order. */
export const INGESTIBLE_EVENT_TYPES = BUILT_IN_EVENT_TYPES.map((type) => type.event_type) as unknown as EventTypeNames<
  typeof BUILT_IN_EVENT_TYPES
>;
export type IngestibleEventType = (typeof INGESTIBLE_EVENT_TYPES)[number];

/** The message of an event_type that is a string but names no type we apply (see validation.ts). */
export const UNKNOWN_EVENT_TYPE_MESSAGE = unknownEventTypeMessage(INGESTIBLE_EVENT_TYPES);

function unknownEventTypeMessage(names: readonly string[]): string {
  return `event_type must be one of ${names.join(', ')}`;
}

/**
 * The entry types, for the API's types and enums (order kept for the OpenAPI document). A test
 * (event-registry.test.ts) holds it equal to the registry's, which says each one's sign and source.
 */
export const ENTRY_TYPES = [
  'sale',
  'fee',
  'refund',
  'payout',
  'payout_reversal',
  'dispute_hold',
  'dispute_fee',
  'dispute_release',
  'chargeback',
  'reserve_hold',
  'reserve_release',
] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export const metadataSchema = z
  .record(z.string(), z.unknown())
  .superRefine((metadata, ctx) => {
    if (jsonDepthExceeds(metadata, METADATA_DEPTH_MAX)) {
      ctx.addIssue({ code: 'custom', message: `metadata may nest at most ${METADATA_DEPTH_MAX} levels` });
      return;
    }
    const unstorable = findUnstorableString(metadata);
    if (unstorable !== undefined) {
      ctx.addIssue({ code: 'custom', message: `metadata key or value at "${unstorable}" ${UNSTORABLE_STRING_MESSAGE}` });
      return;
    }
    if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > METADATA_BYTES_MAX) {
      ctx.addIssue({ code: 'custom', message: `metadata may be at most ${METADATA_BYTES_MAX} bytes of JSON` });
    }
  })
  .meta({ description: `Free-form JSON object from the processor, at most ${METADATA_BYTES_MAX} bytes` });

/**
 * A processor event as it arrives on the webhook. Unknown fields are refused: "same content" for
 * idempotency compares every field, so a field we would silently drop could hide a conflict.
 */
export function eventInputSchemaFor<const T extends readonly [string, ...string[]]>(eventTypes: T) {
  const unknownType = unknownEventTypeMessage(eventTypes);
  return z
    .strictObject({
      event_id: z
        .string()
        .regex(/^[\x21-\x7e]+$/, 'event_id must be printable ASCII without spaces')
        .max(EVENT_ID_LENGTH_MAX)
        .meta({ example: 'evt_0001' }),
      event_type: z
        .enum(eventTypes, {
          error: (issue) => (typeof issue.input === 'string' ? unknownType : 'event_type is required (a string)'),
        })
        .meta({ example: 'charge_succeeded' }),
      // Canonical millisecond precision: what is stored is exactly what every response reports, so a
      // reported timestamp used as `as_of` counts the same entries. The raw payload keeps the original.
      occurred_at: isoDateTimeSchema
        .transform((value, ctx) => {
          const instant = new Date(value);
          if (instant.getTime() < Date.parse(OCCURRED_AT_MIN)) {
            ctx.addIssue({ code: 'custom', message: `must not be earlier than ${OCCURRED_AT_MIN}` });
            return z.NEVER;
          }
          return instant.toISOString();
        })
        .meta({ example: '2025-12-20T15:10:00Z' }),
      restaurant_id: restaurantIdSchema,
      currency: currencySchema,
      amount: minorUnitsSchema(1).meta({ example: 12000 }),
      fee: minorUnitsSchema(0).default(0).meta({ example: 600 }),
      metadata: metadataSchema.default({}),
    });
}

export const processorEventInputSchema = eventInputSchemaFor(INGESTIBLE_EVENT_TYPES).meta({ id: 'ProcessorEvent' });

export type ProcessorEventInput = z.output<typeof processorEventInputSchema>;

/**
 * A batch of processor events. Only the batch's shape is checked here: each event is validated on
 * its own by ingestEventBatch, so one bad event gets its own 422 instead of failing the batch. The
 * item type (and the OpenAPI document) still say what an event is.
 */
export const eventBatchInputSchema = z
  .strictObject({
    events: z
      .array(
        z.custom<z.input<typeof processorEventInputSchema>>().meta({
          description: 'A processor event, validated on its own',
          override: { $ref: '#/components/schemas/ProcessorEvent' },
        }),
      )
      .min(1)
      .max(EVENT_BATCH_MAX),
  })
  .meta({ id: 'ProcessorEventBatch' });
export type EventBatchInput = z.output<typeof eventBatchInputSchema>;

export const PAYOUT_EFFECT_RESULTS = ['applied', 'unknown_payout', 'mismatch', 'already_final'] as const;

export const payoutEffectSchema = z
  .object({
    payout_id: z.string().nullable().meta({ description: 'metadata.payout_id as sent (null when absent)' }),
    result: z.enum(PAYOUT_EFFECT_RESULTS).meta({
      description:
        'applied: the payout moved to paid/failed. unknown_payout, mismatch (restaurant, currency or amount differ) ' +
        'and already_final (paid or failed before): the event is stored and changes nothing',
    }),
  })
  .meta({ id: 'PayoutEffect' });
export type PayoutEffect = z.output<typeof payoutEffectSchema>;

export const ledgerEntrySchema = z
  .object({
    entry_id: z.string(),
    entry_type: z.enum(ENTRY_TYPES),
    amount: signedMinorSchema,
    occurred_at: z.string(),
    available_at: z.string(),
  })
  .meta({ id: 'LedgerEntry' });
export type LedgerEntryView = z.output<typeof ledgerEntrySchema>;

export const ingestResultSchema = z
  .object({
    idempotent: z.boolean().meta({ description: 'true when this event_id was already recorded with the same content' }),
    event: z.object({
      event_id: z.string(),
      event_type: z.enum(INGESTIBLE_EVENT_TYPES),
      restaurant_id: z.string(),
      currency: z.string(),
      amount: signedMinorSchema,
      fee: signedMinorSchema,
      occurred_at: z.string(),
      received_at: z.string(),
    }),
    entries: z.array(ledgerEntrySchema),
    payout: payoutEffectSchema.optional().meta({ description: 'For a first delivery of payout_paid / payout_failed' }),
    dispute: disputeEffectSchema.optional().meta({ description: 'For a first delivery of dispute_opened / dispute_won / dispute_lost' }),
  })
  .meta({ id: 'IngestResult' });
export type IngestResult = z.output<typeof ingestResultSchema>;
