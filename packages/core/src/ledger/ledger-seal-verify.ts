import { createHash, type Hash } from 'node:crypto';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { VERIFY_ENTRY_CHUNK, VERIFY_SEAL_PAGE } from '../limits.ts';
import {
  type EntryTextRow,
  findEntriesAsText,
  findSeals,
  GENESIS_HASH,
  lastBlockNumber,
  type SealRow,
  unsealedEntries,
} from './ledger-seal.repository.ts';
import type { LedgerVerification, SealBreakReason, VerifyLedgerInput } from './ledger-seal.schema.ts';

/**
 * The canonical form of ledger-seal.repository.ts, written again in TypeScript from the columns as
 * text, so the verify does not trust the sealer's SQL: both must give the same bytes, or every
 * block reads as changed (tested).
 */
export function sealLine(entry: EntryTextRow): string {
  const sized = (text: string) => `${Buffer.byteLength(text, 'utf8')}:${text}`;
  return (
    `${entry.id}|${sized(entry.restaurant_id)}|${sized(entry.currency)}|${sized(entry.entry_type)}|${entry.amount_minor}|` +
    `${epochMicros(entry.occurred_at)}|${epochMicros(entry.available_at)}|${entry.processor_event_id ?? ''}|${entry.payout_id ?? ''}|` +
    `${epochMicros(entry.created_at)}\n`
  );
}

export function sealTrailerText(block: string, after: string, first: string, last: string, count: number): string {
  return `ledger-seal-v1 block ${block} after ${after} first ${first} last ${last} count ${count}\n`;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC) as epoch microseconds; anything else (an infinite time) as itself, which no seal matches. */
function epochMicros(utc: string | null): string {
  const match = utc === null ? null : /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})$/.exec(utc);
  if (match === null) return `?${utc ?? ''}`;
  const seconds = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(seconds)) return `?${utc ?? ''}`;
  return (BigInt(seconds) * 1000n + BigInt(match[2] as string)).toString();
}

interface BlockRecomputed {
  hash: Buffer;
  count: number;
  first: string | null;
  last: string | null;
}

/** Reads the block's id range in chunks and hashes it as the sealer did: prior hash, lines, trailer. */
async function recomputeBlock(ctx: LedgerContext, seal: SealRow): Promise<BlockRecomputed> {
  const hash: Hash = createHash('sha256').update(Buffer.from(seal.prior_hash));
  const after = int8ToId(seal.prior_last_entry_id);
  const through = int8ToId(seal.last_entry_id);
  let cursor = after;
  let count = 0;
  let first: string | null = null;
  for (;;) {
    const rows = await findEntriesAsText(ctx.db, cursor, through, VERIFY_ENTRY_CHUNK);
    for (const row of rows) hash.update(sealLine(row), 'utf8');
    count += rows.length;
    first ??= rows[0]?.id ?? null;
    const lastRow = rows[rows.length - 1];
    if (lastRow !== undefined) cursor = lastRow.id;
    if (rows.length < VERIFY_ENTRY_CHUNK) break;
  }
  const last = count === 0 ? null : cursor;
  if (first !== null && last !== null) hash.update(sealTrailerText(int8ToId(seal.block_number), after, first, last, count), 'utf8');
  return { hash: hash.digest(), count, first, last };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

type Broken = NonNullable<LedgerVerification['first_broken']>;

/** Whether `seal` follows `prior` (the block before it, or the genesis before block 1). */
function linkBroken(seal: SealRow, prior: { block: number; hash: Uint8Array; last: string }): Broken | undefined {
  const block = int8ToSafeInteger(seal.block_number);
  const follows =
    block === prior.block + 1 &&
    (seal.prior_block === null ? prior.block === 0 : int8ToSafeInteger(seal.prior_block) === prior.block) &&
    int8ToId(seal.prior_last_entry_id) === prior.last &&
    sameBytes(seal.prior_hash, prior.hash);
  if (follows) return undefined;
  return { block, reason: 'CHAIN_LINK_BROKEN', expected_hash: hex(prior.hash), actual_hash: hex(seal.prior_hash), entries_sealed: seal.entry_count, entries_found: null };
}

/** Why a block whose recomputation disagrees with its seal broke: its entries, or the seal row (when the next block names what the entries give). */
function blockBroken(seal: SealRow, found: BlockRecomputed, next: SealRow | undefined): Broken | undefined {
  const matches = sameBytes(found.hash, seal.hash);
  const fieldsMatch = found.count === seal.entry_count && found.first === int8ToId(seal.first_entry_id);
  if (matches && fieldsMatch) return undefined;
  let reason: SealBreakReason;
  if (matches || (next !== undefined && sameBytes(next.prior_hash, found.hash))) reason = 'SEAL_CHANGED';
  else if (found.count < seal.entry_count) reason = 'ENTRY_MISSING';
  else if (found.count > seal.entry_count) reason = 'ENTRY_INSERTED';
  else reason = 'ENTRY_CHANGED';
  return {
    block: int8ToSafeInteger(seal.block_number),
    reason,
    expected_hash: hex(seal.hash),
    actual_hash: hex(found.hash),
    entries_sealed: seal.entry_count,
    entries_found: found.count,
  };
}

/**
 * Recomputes the chain from the rows, block by block in order from `from_block` (default 1) to
 * `to_block` (default the latest), and reports the first link that does not hold. Reads
 * VERIFY_SEAL_PAGE seals and VERIFY_ENTRY_CHUNK entries at a time, so its memory does not grow with
 * the ledger. Entries are insert-only and a sealed range never gains a legitimate entry, so it needs
 * no snapshot: blocks sealed while it runs are checked next time.
 * @throws LedgerError VALIDATION_ERROR when from_block names a block not sealed yet
 */
export async function verifyLedgerChain(ctx: LedgerContext, input: VerifyLedgerInput): Promise<LedgerVerification> {
  const lastBlock = int8ToSafeInteger(await lastBlockNumber(ctx.db));
  const fromBlock = input.from_block ?? 1;
  if (fromBlock > Math.max(lastBlock, 1)) {
    throw new LedgerError('VALIDATION_ERROR', `Invalid input: from_block`, {
      issues: [{ field: 'from_block', message: `block ${fromBlock} is not sealed; the latest block is ${lastBlock}` }],
    });
  }
  const toBlock = Math.min(input.to_block ?? lastBlock, lastBlock);
  let prior = { block: 0, hash: GENESIS_HASH as Uint8Array, last: '0' };
  if (fromBlock > 1) {
    const [before] = await findSeals(ctx.db, fromBlock - 1, fromBlock - 1, 1);
    if (before !== undefined) prior = { block: fromBlock - 1, hash: before.hash, last: int8ToId(before.last_entry_id) };
  }
  let blocksChecked = 0;
  let entriesChecked = 0;
  let firstBroken: Broken | undefined;
  let lastHash: Uint8Array | undefined;
  let sealedThrough = '0';
  for (let next = fromBlock; next <= toBlock && firstBroken === undefined; ) {
    // One seal beyond the page: a block's break is told apart by the link the next block recorded.
    const page = await findSeals(ctx.db, next, toBlock + 1, VERIFY_SEAL_PAGE + 1);
    const seals = page.slice(0, VERIFY_SEAL_PAGE).filter((seal) => int8ToSafeInteger(seal.block_number) <= toBlock);
    if (seals.length === 0) break;
    for (const [index, seal] of seals.entries()) {
      const found = await recomputeBlock(ctx, seal);
      firstBroken = linkBroken(seal, prior) ?? blockBroken(seal, found, page[index + 1]);
      if (firstBroken !== undefined) break;
      blocksChecked += 1;
      entriesChecked += found.count;
      prior = { block: int8ToSafeInteger(seal.block_number), hash: seal.hash, last: int8ToId(seal.last_entry_id) };
    }
    next = prior.block + 1;
    if (seals.length < VERIFY_SEAL_PAGE && firstBroken === undefined) break;
  }
  const [head] = lastBlock === 0 ? [] : await findSeals(ctx.db, lastBlock, lastBlock, 1);
  if (head !== undefined) {
    lastHash = head.hash;
    sealedThrough = int8ToId(head.last_entry_id);
  }
  const unsealed = await unsealedEntries(ctx.db, sealedThrough);
  return {
    ok: firstBroken === undefined,
    sealed_through_entry_id: sealedThrough,
    last_block: lastBlock,
    last_hash: lastHash === undefined ? null : hex(lastHash),
    blocks_checked: blocksChecked,
    entries_checked: entriesChecked,
    unsealed_entries: int8ToSafeInteger(unsealed.count),
    sealing_lag_seconds: unsealed.oldest_age_seconds === null ? 0 : Math.max(0, Number(unsealed.oldest_age_seconds)),
    first_broken: firstBroken ?? null,
  };
}
