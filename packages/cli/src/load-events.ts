import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import { type BalanceCheck, collectBalancePairs, compareBalances, readBalances } from './balance-check.ts';
import { type DeliveryResult, type DeliveryTarget, deliverEvent } from './deliver-event.ts';
import { DELIVERY_ATTEMPTS_MAX, LOAD_CONCURRENCY_DEFAULT, LOAD_CONCURRENCY_MAX, RETRY_BASE_DELAY_MS } from './limits.ts';
import { parseLine } from './peer-formats.ts';
import { type FileLine, readLines } from './read-lines.ts';

export interface LoadOptions {
  /** A JSONL file: one event per line; blank lines are skipped. */
  file: string;
  /** The ledger's base URL, e.g. http://localhost:3000 */
  url: string;
  apiKey?: string;
  /** Standard Webhooks secret (`whsec_…`): each body is signed with it. */
  webhookSecret?: string;
  /** Requests in flight at once, 1 to LOAD_CONCURRENCY_MAX (default LOAD_CONCURRENCY_DEFAULT). */
  concurrency?: number;
  /** Compare every restaurant/currency balance in the file before and after the load (default true). */
  checkBalances?: boolean;
  /** Called after each line is settled. */
  onProgress?: (progress: LoadProgress) => void;
  /** First retry delay; tests shorten it (default RETRY_BASE_DELAY_MS). */
  retryBaseDelayMs?: number;
}

export interface OutcomeCounts {
  /** 201: recorded for the first time. */
  created: number;
  /** 200 with idempotent: true: already recorded with the same content; nothing written. */
  duplicate: number;
  /** 409 EVENT_ID_CONFLICT: the event_id is recorded with different content; nothing written. */
  conflict: number;
  /** Any other 4xx, or a line that is not JSON: the line itself is wrong; nothing written. */
  rejected: number;
  /** 5xx, or a network error / 503 / 429 still there after every attempt: worth loading again. */
  failed: number;
}

export interface LineProblem {
  line: number;
  outcome: 'conflict' | 'rejected' | 'failed';
  /** null when no HTTP answer was involved (not JSON, network error). */
  status: number | null;
  code: string;
  message: string;
}

export interface LoadProgress extends OutcomeCounts {
  linesRead: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface LoadSummary extends OutcomeCounts {
  file: string;
  url: string;
  concurrency: number;
  /** Non-blank lines; always created + duplicate + conflict + rejected + failed. */
  linesRead: number;
  /** Whitespace-only lines, skipped and not counted in linesRead. */
  blankLines: number;
  /** Lines on which peer spellings (amount_cents, fee_cents) were mapped to ours. */
  mappedLines: number;
  elapsedMs: number;
  eventsPerSecond: number;
  /** Every conflicting, rejected and failed line, by line number. */
  problems: LineProblem[];
  balances: BalanceCheck;
}

/**
 * Streams a JSONL file to `POST {url}/v1/processor/events` with bounded concurrency and returns
 * what happened to every line. Lines with the same event_id are sent one after another in file
 * order, so the first one in the file is the one that creates and later ones are the replays.
 * Throws only when the load cannot start (unreadable file, bad options) or the balance check
 * cannot read a balance; every outcome of a line is counted in the summary instead.
 */
export async function loadEvents(options: LoadOptions): Promise<LoadSummary> {
  const concurrency = validateConcurrency(options.concurrency ?? LOAD_CONCURRENCY_DEFAULT);
  const url = normalizeBaseUrl(options.url);
  const { size: bytesTotal } = await stat(options.file);
  const target: DeliveryTarget = {
    eventsUrl: `${url}/v1/processor/events`,
    apiKey: options.apiKey,
    signer: options.webhookSecret === undefined ? undefined : new Webhook(options.webhookSecret),
    attemptsMax: DELIVERY_ATTEMPTS_MAX,
    retryBaseDelayMs: options.retryBaseDelayMs ?? RETRY_BASE_DELAY_MS,
  };
  const balanceCheck = await startBalanceCheck(options, url, concurrency);
  const tally = new Tally(bytesTotal, options.onProgress);
  const startedMs = performance.now();
  await sendAllLines(options.file, target, concurrency, tally);
  const elapsedMs = performance.now() - startedMs;
  const summary = tally.summary({ file: options.file, url, concurrency, elapsedMs, balances: await balanceCheck.finish(tally.counts.created) });
  assertEveryLineCounted(summary);
  return summary;
}

async function sendAllLines(file: string, target: DeliveryTarget, concurrency: number, tally: Tally): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  const lastByEventId = new Map<string, Promise<void>>();
  for await (const line of readLines(file)) {
    if (line.blank) {
      tally.blank(line);
      continue;
    }
    const parsed = parseLine(line.text);
    if (parsed.kind === 'not_json') {
      tally.settle(line, { outcome: 'rejected', status: null, code: 'MALFORMED_JSON', message: `not JSON, not sent: ${parsed.message}` });
      continue;
    }
    if (parsed.renamed.length > 0) tally.mapped();
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const previous = parsed.eventId === undefined ? undefined : lastByEventId.get(parsed.eventId);
    const task = sendAfter(previous, target, parsed.body, line, tally);
    inFlight.add(task);
    void task.then(() => inFlight.delete(task));
    if (parsed.eventId !== undefined) trackLatest(lastByEventId, parsed.eventId, task);
  }
  await Promise.all(inFlight);
}

async function sendAfter(previous: Promise<void> | undefined, target: DeliveryTarget, body: string, line: FileLine, tally: Tally): Promise<void> {
  await previous;
  let result: DeliveryResult;
  try {
    result = await deliverEvent(target, body, messageIdFor(body));
  } catch (error) {
    // deliverEvent turns every HTTP outcome into a result; this is a loader bug, still counted.
    result = { outcome: 'failed', status: null, code: 'LOADER_ERROR', message: error instanceof Error ? error.message : String(error) };
  }
  tally.settle(line, result);
}

function trackLatest(lastByEventId: Map<string, Promise<void>>, eventId: string, task: Promise<void>): void {
  lastByEventId.set(eventId, task);
  // Forget the id once its last line is done, so the map holds at most the lines in flight.
  void task.then(() => {
    if (lastByEventId.get(eventId) === task) lastByEventId.delete(eventId);
  });
}

/** Identical bodies get the same webhook-id: to a receiver they are the same message redelivered. */
function messageIdFor(body: string): string {
  return `msg_${createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 32)}`;
}

interface PendingBalanceCheck {
  finish(created: number): Promise<BalanceCheck>;
}

async function startBalanceCheck(options: LoadOptions, url: string, concurrency: number): Promise<PendingBalanceCheck> {
  if (options.checkBalances === false) {
    return { finish: async () => ({ checked: false, reason: 'turned off' }) };
  }
  const pairs = await collectBalancePairs(options.file);
  if (pairs === undefined) {
    return { finish: async () => ({ checked: false, reason: 'the file names too many restaurant/currency pairs' }) };
  }
  // One fixed instant for both readings: "now" would move, and an entry maturing in between
  // would look like a change.
  const reader = { url, apiKey: options.apiKey, asOf: new Date().toISOString(), concurrency };
  const before = await readBalances(reader, pairs);
  return {
    finish: async () => {
      const after = await readBalances(reader, pairs);
      return { checked: true, pairs: pairs.length, asOf: reader.asOf, changed: compareBalances(pairs, before, after) };
    },
  };
}

class Tally {
  readonly counts: OutcomeCounts = { created: 0, duplicate: 0, conflict: 0, rejected: 0, failed: 0 };
  private linesRead = 0;
  private blankLines = 0;
  private mappedLines = 0;
  private bytesDone = 0;
  private readonly problems: LineProblem[] = [];

  constructor(
    private readonly bytesTotal: number,
    private readonly onProgress: ((progress: LoadProgress) => void) | undefined,
  ) {}

  blank(line: FileLine): void {
    this.blankLines += 1;
    this.bytesDone += line.bytes;
  }

  mapped(): void {
    this.mappedLines += 1;
  }

  settle(line: FileLine, result: DeliveryResult): void {
    this.linesRead += 1;
    this.bytesDone += line.bytes;
    this.counts[result.outcome] += 1;
    if ('code' in result) {
      const { outcome, status, code, message } = result;
      this.problems.push({ line: line.lineNumber, outcome, status, code, message });
    }
    this.reportProgress();
  }

  private reportProgress(): void {
    try {
      this.onProgress?.({
        ...this.counts,
        linesRead: this.linesRead,
        // The file may lack a final newline; never report more than the file holds.
        bytesDone: Math.min(this.bytesDone, this.bytesTotal),
        bytesTotal: this.bytesTotal,
      });
    } catch {
      // A broken progress display must not cost a line its place in the counts.
    }
  }

  summary(rest: Pick<LoadSummary, 'file' | 'url' | 'concurrency' | 'elapsedMs' | 'balances'>): LoadSummary {
    return {
      ...rest,
      ...this.counts,
      linesRead: this.linesRead,
      blankLines: this.blankLines,
      mappedLines: this.mappedLines,
      eventsPerSecond: rest.elapsedMs > 0 ? this.linesRead / (rest.elapsedMs / 1000) : 0,
      problems: [...this.problems].sort((a, b) => a.line - b.line),
    };
  }
}

function assertEveryLineCounted(summary: LoadSummary): void {
  const counted = summary.created + summary.duplicate + summary.conflict + summary.rejected + summary.failed;
  if (counted !== summary.linesRead || summary.problems.length !== summary.conflict + summary.rejected + summary.failed) {
    throw new Error(`loader bug: ${summary.linesRead} lines read but ${counted} counted`);
  }
}

function validateConcurrency(concurrency: number): number {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > LOAD_CONCURRENCY_MAX) {
    throw new RangeError(`concurrency must be an integer from 1 to ${LOAD_CONCURRENCY_MAX}, got ${concurrency}`);
  }
  return concurrency;
}

function normalizeBaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RangeError(`url must be http or https, got ${url}`);
  }
  return parsed.href.replace(/\/+$/, '');
}
