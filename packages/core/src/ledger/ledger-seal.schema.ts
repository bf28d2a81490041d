import { z } from 'zod';
import { decimalQueryNumber } from '../shared-schemas.ts';

/** Why a block of the chain does not hold (docs/tamper-evidence.md#what-verify-reports). */
export const SEAL_BREAK_REASONS = [
  /** An entry of the block was changed: same count, another hash. */
  'ENTRY_CHANGED',
  /** The block holds fewer entries than were sealed: one was deleted. */
  'ENTRY_MISSING',
  /** The block holds more entries than were sealed: one was inserted inside a sealed range. */
  'ENTRY_INSERTED',
  /** The seal row itself was changed: its hash or fields differ from what its entries and the next block say. */
  'SEAL_CHANGED',
  /** The block does not follow the one before it (number, hash or entry range): a seal row was changed, removed or added. */
  'CHAIN_LINK_BROKEN',
] as const;
export type SealBreakReason = (typeof SEAL_BREAK_REASONS)[number];

const blockNumberSchema = decimalQueryNumber(z.coerce.number<number>().int().min(1).max(Number.MAX_SAFE_INTEGER));

export const verifyLedgerInputSchema = z
  .strictObject({
    from_block: blockNumberSchema.optional().meta({ description: 'First block to check (default 1); its link to the block before is checked too.' }),
    to_block: blockNumberSchema.optional().meta({ description: 'Last block to check (default: the latest sealed block).' }),
  })
  .refine((input) => input.from_block === undefined || input.to_block === undefined || input.from_block <= input.to_block, {
    message: 'to_block must not be below from_block',
    path: ['to_block'],
  });
export type VerifyLedgerInput = z.output<typeof verifyLedgerInputSchema>;

const hashSchema = z.string().meta({ description: 'SHA-256, lowercase hex' });

export const ledgerVerificationSchema = z
  .object({
    ok: z.boolean().meta({ description: 'Every block checked holds; false names the first that does not.' }),
    sealed_through_entry_id: z.string().meta({ description: 'Every entry with an id up to this is sealed ("0" before the first block).' }),
    last_block: z.number().int().meta({ description: 'The latest sealed block (0 before the first).' }),
    last_hash: hashSchema.nullable().meta({ description: "The latest block's recorded hash: keep a copy outside the database to detect a rewritten chain." }),
    blocks_checked: z.number().int(),
    entries_checked: z.number().int(),
    unsealed_entries: z.number().int().meta({ description: 'Entries above sealed_through_entry_id, not sealed yet.' }),
    sealing_lag_seconds: z.number().meta({ description: 'How long the oldest unsealed entry has waited (0 when every entry is sealed).' }),
    first_broken: z
      .object({
        block: z.number().int(),
        reason: z.enum(SEAL_BREAK_REASONS),
        expected_hash: hashSchema.meta({ description: 'What the chain recorded (the seal, or the previous block for a link)' }),
        actual_hash: hashSchema.nullable().meta({ description: 'What the rows give now (recomputed, or the link the seal names)' }),
        entries_sealed: z.number().int().meta({ description: 'Entries the seal row says the block holds' }),
        entries_found: z.number().int().nullable().meta({ description: "Entries in the block's id range now" }),
      })
      .nullable(),
  })
  .meta({ id: 'LedgerVerification' });
export type LedgerVerification = z.output<typeof ledgerVerificationSchema>;
