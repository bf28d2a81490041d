import { VERIFY_REQUEST_TIMEOUT_MS } from './limits.ts';

export interface VerifyChainOptions {
  /** The ledger's base URL, e.g. http://localhost:3000 */
  url: string;
  apiKey?: string | undefined;
  fromBlock?: number | undefined;
  toBlock?: number | undefined;
}

/** The verification the server reports (the SDK's LedgerVerification type has the same fields). */
export interface LedgerVerification {
  ok: boolean;
  sealed_through_entry_id: string;
  last_block: number;
  last_hash: string | null;
  blocks_checked: number;
  entries_checked: number;
  unsealed_entries: number;
  sealing_lag_seconds: number;
  first_broken: {
    block: number;
    reason: string;
    expected_hash: string;
    actual_hash: string | null;
    entries_sealed: number;
    entries_found: number | null;
  } | null;
}

export type VerifyChainOutcome =
  | { ok: true; verification: LedgerVerification }
  | { ok: false; status: number; code: string; message: string };

/** Exit code of `verify-chain` when a link of the chain is broken (0: the chain holds; 2: could not verify). */
export const EXIT_CHAIN_BROKEN = 1;

const REASONS: Record<string, string> = {
  ENTRY_CHANGED: 'an entry of the block was changed',
  ENTRY_MISSING: 'an entry of the block was deleted',
  ENTRY_INSERTED: 'an entry was inserted into the sealed range',
  SEAL_CHANGED: 'the seal row itself was changed',
  CHAIN_LINK_BROKEN: 'the block does not follow the one before it',
};

/** Asks `GET {url}/v1/ledger/verify` to recompute the chain. Throws only when the server cannot be reached. */
export async function verifyChain(options: VerifyChainOptions): Promise<VerifyChainOutcome> {
  const url = new URL('/v1/ledger/verify', options.url);
  if (options.fromBlock !== undefined) url.searchParams.set('from_block', String(options.fromBlock));
  if (options.toBlock !== undefined) url.searchParams.set('to_block', String(options.toBlock));
  const response = await fetch(url, {
    headers: options.apiKey !== undefined ? { authorization: `Bearer ${options.apiKey}` } : {},
    signal: AbortSignal.timeout(VERIFY_REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: { success?: unknown; data?: unknown; error?: { code?: unknown; message?: unknown } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON (a proxy's page): quoted below.
  }
  if (response.ok && body.success === true) return { ok: true, verification: body.data as LedgerVerification };
  return {
    ok: false,
    status: response.status,
    code: typeof body.error?.code === 'string' ? body.error.code : 'UNEXPECTED_RESPONSE',
    message: typeof body.error?.message === 'string' ? body.error.message : text.slice(0, 200),
  };
}

/** What `verify-chain` prints. */
export function formatVerification(outcome: VerifyChainOutcome): string {
  if (!outcome.ok) return `could not verify: ${outcome.status} ${outcome.code}: ${outcome.message}\n`;
  const v = outcome.verification;
  const lines: string[] = [];
  const broken = v.first_broken;
  if (broken === null) {
    lines.push(`chain OK: ${v.blocks_checked} blocks, ${v.entries_checked} entries hashed again`);
  } else {
    lines.push(`chain BROKEN at block ${broken.block}: ${broken.reason} (${REASONS[broken.reason] ?? 'see docs/tamper-evidence.md'})`);
    lines.push(`  recorded  ${broken.expected_hash}`);
    lines.push(`  found     ${broken.actual_hash ?? '(none)'}`);
    lines.push(`  entries   sealed ${broken.entries_sealed}, found ${broken.entries_found ?? '-'}`);
    lines.push(`  ${v.blocks_checked} blocks before it hold (${v.entries_checked} entries)`);
  }
  lines.push(`sealed through entry ${v.sealed_through_entry_id}: block ${v.last_block}, hash ${v.last_hash ?? '(none)'}`);
  lines.push(`unsealed: ${v.unsealed_entries} entries, the oldest waiting ${v.sealing_lag_seconds} s`);
  return `${lines.join('\n')}\n`;
}
