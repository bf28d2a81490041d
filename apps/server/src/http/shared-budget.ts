import { createHash } from 'node:crypto';
import type { RateLimitClaim, RateLimitClaimRequest } from '@restaurant-ledger/core';
import { RATE_LIMIT_CLAIM_SLICES } from '../edge-limits.ts';

/** What a budget decided for one request. */
export interface BudgetDecision {
  admitted: boolean;
  /** Requests left in the window: exact in one server, an upper estimate when several share it. */
  remaining: number;
  /** Until the window ends. */
  resetMs: number;
  /** The draft-8 partition key of the client (a digest, never the key itself). */
  partition: string;
}

export interface BudgetOptions {
  /** Names the limit in headers, errors and the shared store. */
  scope: string;
  /** Requests per window for one client, over every server. */
  limit: number;
  windowMs: number;
  /** Claims requests of a client's window budget from the store every server shares. */
  claim(request: RateLimitClaimRequest): Promise<RateLimitClaim>;
  /** Told after each claim (housekeeping: deleting ended windows). */
  afterClaim?(): void;
}

/** One client's window, as this server sees it. */
interface ClientWindow {
  /** When the window ends by this server's clock; Infinity until the first claim answers. */
  endsAt: number;
  /** Requests this server claimed and has not admitted yet. */
  tokens: number;
  /** Of the limit, what no server had claimed at this server's last claim. */
  unclaimed: number;
  /** The store said the window's budget is gone: refuse until it ends, asking no one. */
  spent: boolean;
  /** Requests waiting for the claim in flight. */
  waiting: number;
  claim: Promise<void> | undefined;
  partition: string;
}

/** A request can wait for this many claims at most (each grants at least one request, or says "spent"). */
const CLAIM_ROUNDS_MAX = 64;

/**
 * A fixed-window rate limit whose counter lives in a store every server process shares, read and
 * written in slices: a server claims limit / RATE_LIMIT_CLAIM_SLICES requests of a client's window at
 * a time (one statement) and admits them from memory, so the store sees one statement per slice,
 * not one per request. The store never grants past the limit, so over all servers a window admits
 * at most `limit` requests; once the store says the budget is spent, this server refuses that client
 * until the window ends without asking again.
 */
export class SharedBudget {
  readonly #windows = new Map<string, ClientWindow>();
  readonly #slice: number;
  #sweptAt = Date.now();

  constructor(readonly options: BudgetOptions) {
    this.#slice = Math.max(1, Math.floor(options.limit / RATE_LIMIT_CLAIM_SLICES));
  }

  /** Admits or refuses one request of `clientKey`: at once from memory, or after a claim. */
  take(clientKey: string): BudgetDecision | Promise<BudgetDecision> {
    const window = this.#current(clientKey);
    if (window.tokens > 0 || window.spent) return this.#decide(window);
    return this.#takeAfterClaims(clientKey);
  }

  async #takeAfterClaims(clientKey: string): Promise<BudgetDecision> {
    for (let round = 0; round < CLAIM_ROUNDS_MAX; round += 1) {
      const window = this.#current(clientKey);
      if (window.tokens > 0 || window.spent) return this.#decide(window);
      window.waiting += 1;
      try {
        await (window.claim ??= this.#claim(clientKey, window));
      } finally {
        window.waiting -= 1;
      }
    }
    throw new Error(`rate limit ${this.options.scope}: no decision after ${CLAIM_ROUNDS_MAX} claims`);
  }

  #decide(window: ClientWindow): BudgetDecision {
    const admitted = window.tokens > 0;
    if (admitted) window.tokens -= 1;
    return {
      admitted,
      remaining: admitted ? window.tokens + window.unclaimed : 0,
      resetMs: Math.max(0, window.endsAt - Date.now()),
      partition: window.partition,
    };
  }

  /** The client's window in progress; a new, unclaimed one once the last has ended. */
  #current(clientKey: string): ClientWindow {
    const known = this.#windows.get(clientKey);
    if (known !== undefined && Date.now() < known.endsAt) return known;
    const fresh: ClientWindow = {
      endsAt: Number.POSITIVE_INFINITY,
      tokens: 0,
      unclaimed: this.options.limit,
      spent: false,
      waiting: 0,
      claim: undefined,
      partition: known?.partition ?? partitionKey(clientKey),
    };
    this.#windows.set(clientKey, fresh);
    return fresh;
  }

  #claim(clientKey: string, window: ClientWindow): Promise<void> {
    const { scope, limit, windowMs } = this.options;
    // Taken before the store reads its clock: the window ends here no later than it does there.
    const sentAt = Date.now();
    return this.options
      .claim({ scope, clientKey, limit, windowMs, want: Math.max(this.#slice, window.waiting) })
      .then(({ granted, claimed, msLeft }) => {
        window.tokens += granted;
        window.unclaimed = Math.max(0, limit - claimed);
        window.endsAt = sentAt + msLeft;
        if (granted === 0) window.spent = true;
      })
      .finally(() => {
        window.claim = undefined;
        this.#sweep();
        this.options.afterClaim?.();
      });
  }

  /** Forgets ended windows, at most once a window, so memory holds only the clients of about one window. */
  #sweep(): void {
    const now = Date.now();
    if (now - this.#sweptAt < this.options.windowMs) return;
    this.#sweptAt = now;
    for (const [clientKey, window] of this.#windows) if (now >= window.endsAt) this.#windows.delete(clientKey);
  }
}

/** The draft-8 `pk` of a client: a short digest, as express-rate-limit wrote it. */
function partitionKey(clientKey: string): string {
  return Buffer.from(createHash('sha256').update(clientKey).digest('hex').slice(0, 12)).toString('base64');
}
