import { int8ToBigInt, int8ToId } from '../db/int8.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { SEAL_BLOCK_SIZE_DEFAULT, SEAL_BLOCKS_PER_LOOK_MAX, SEAL_INTERVAL_MS_DEFAULT, SEAL_WATERMARK_WAIT_MS } from '../limits.ts';
import { type BackgroundLoop, startBackgroundLoop } from '../background/background-loop.ts';
import { settledSequenceValue } from '../db/in-flight.ts';
import { type SealedBlock, sealingPosition, sealNextBlock, tryLockSealer, unlockSealer } from './ledger-seal.repository.ts';

/** What one look of the sealer did. */
export interface SealLook {
  /** False when another sealer (another worker or server) held the sealer's lock: it is sealing. */
  ran: boolean;
  blocks: Array<{ block_number: string; first_entry_id: string; last_entry_id: string; entry_count: number }>;
  /** The sealed frontier after the look. */
  sealed_through_entry_id: string;
}

const toBlock = (row: SealedBlock) => ({
  block_number: int8ToId(row.block_number),
  first_entry_id: int8ToId(row.first_entry_id),
  last_entry_id: int8ToId(row.last_entry_id),
  entry_count: row.entry_count,
});

/**
 * Seals every entry recorded before this look began, in blocks of up to `blockSize`, at most
 * `maxBlocks` of them. One sealer at a time (a session advisory lock; the others return ran: false),
 * and the table's keys refuse a second block n or a fork whatever happens. Blocks stop at a
 * settled watermark (settledSequenceValue), so an entry whose id was drawn but whose transaction had not yet
 * committed is never passed over: it lands in a later block. Nothing new since the last block: no
 * watermark read.
 * @throws Error when a transaction that began before the look stays open past SEAL_WATERMARK_WAIT_MS (the next look tries again)
 */
export async function sealPendingEntries(
  ctx: LedgerContext,
  options: { blockSize?: number; maxBlocks?: number } = {},
): Promise<SealLook> {
  const blockSize = options.blockSize ?? SEAL_BLOCK_SIZE_DEFAULT;
  const maxBlocks = options.maxBlocks ?? SEAL_BLOCKS_PER_LOOK_MAX;
  return ctx.db.connection().execute(async (connection) => {
    if (!(await tryLockSealer(connection))) return { ran: false, blocks: [], sealed_through_entry_id: '0' };
    try {
      const position = await sealingPosition(connection);
      let sealedThrough = int8ToId(position.sealed_through);
      if (int8ToBigInt(position.last_drawn) <= int8ToBigInt(position.sealed_through)) {
        return { ran: true, blocks: [], sealed_through_entry_id: sealedThrough };
      }
      // Up to the last id drawn before this look, once every transaction that could still commit one
      // of those ids has ended (ids are drawn in order but commit out of order). Polled, not locked:
      // the writers never wait for the sealer.
      const settled = await settledSequenceValue(connection, 'ledger_entries_id_seq', SEAL_WATERMARK_WAIT_MS);
      if (settled === undefined) {
        throw new Error(`a transaction open for more than ${SEAL_WATERMARK_WAIT_MS} ms may still commit entries below the next block; sealing waits for it`);
      }
      const watermark = int8ToId(settled);
      const blocks: SealLook['blocks'] = [];
      while (blocks.length < maxBlocks) {
        const sealed = await sealNextBlock(connection, watermark, blockSize);
        if (sealed === undefined) break;
        blocks.push(toBlock(sealed));
        sealedThrough = int8ToId(sealed.last_entry_id);
      }
      return { ran: true, blocks, sealed_through_entry_id: sealedThrough };
    } finally {
      await unlockSealer(connection).catch(() => undefined);
    }
  });
}

export type LedgerSealer = Pick<BackgroundLoop, 'stop'>;

/**
 * The background side of the hash chain, an instance of the service's one background loop: a look
 * every `intervalMs` (at once again when a look sealed its maximum, a backlog). The chain is in
 * PostgreSQL, so a restart or a crash loses nothing: the next look seals from the latest block.
 * Every server (and cluster worker) runs one; the sealer's lock lets one of them seal at a time.
 */
export function startLedgerSealer(
  ctx: LedgerContext,
  options: { intervalMs?: number; blockSize?: number; onLook?: (look: SealLook) => void; onError?: (error: unknown) => void } = {},
): LedgerSealer {
  const intervalMs = options.intervalMs ?? SEAL_INTERVAL_MS_DEFAULT;
  return startBackgroundLoop({
    intervalMs,
    firstDelayMs: intervalMs,
    ...(options.onError !== undefined && { onError: options.onError }),
    pass: async () => {
      const result = await sealPendingEntries(ctx, { ...(options.blockSize !== undefined && { blockSize: options.blockSize }) });
      options.onLook?.(result);
      return result.blocks.length >= SEAL_BLOCKS_PER_LOOK_MAX ? 'more' : 'idle';
    },
  });
}
