import type { BalanceChange, BalanceCheck } from './balance-check.ts';
import { DELIVERY_ATTEMPTS_MAX } from './limits.ts';
import type { LineProblem, LoadSummary } from './load-events.ts';
import { PEER_FIELD_RENAMES } from './peer-formats.ts';

/** Every line was created or a duplicate, and balances moved only if something was created. */
export const EXIT_OK = 0;
/** Some line was in conflict, rejected or failed, or a replay changed a balance. */
export const EXIT_PROBLEMS = 1;
/** The load could not start: bad flags, unreadable file, server not answering. */
export const EXIT_CANNOT_START = 2;

export function exitCodeFor(summary: LoadSummary): number {
  const problems = summary.conflict + summary.rejected + summary.failed;
  return problems > 0 || replayChangedBalances(summary) ? EXIT_PROBLEMS : EXIT_OK;
}

/** The closing report printed to stdout: counts, rate, balances, then every problem line. */
export function formatSummary(summary: LoadSummary): string {
  const seconds = summary.elapsedMs / 1000;
  const lines = [
    `Loaded ${summary.file} into ${summary.url}`,
    row('lines read', summary.linesRead, `non-blank lines; ${summary.blankLines} blank skipped, not counted`),
    row('created', summary.created, '201, recorded for the first time'),
    row('duplicate', summary.duplicate, '200 idempotent replay, nothing written'),
    row('conflict', summary.conflict, '409, event_id recorded with different content, nothing written'),
    row('rejected', summary.rejected, 'other 4xx, or not JSON, nothing written'),
    row('failed', summary.failed, `5xx, or network/503/429 after ${DELIVERY_ATTEMPTS_MAX} attempts; safe to load again`),
    `  ${'rate'.padEnd(12)}${summary.eventsPerSecond.toFixed(1).padStart(8)}  events/s (${seconds.toFixed(2)} s, concurrency ${summary.concurrency})`,
  ];
  if (summary.mappedLines > 0) {
    const renames = Object.entries(PEER_FIELD_RENAMES).map(([from, to]) => `${from} -> ${to}`).join(', ');
    lines.push(`  peer fields mapped on ${summary.mappedLines} lines (${renames})`);
  }
  lines.push(...formatBalances(summary.balances, summary.created));
  if (summary.problems.length > 0) {
    lines.push('', `Problem lines (${summary.problems.length}): line, outcome, HTTP status, code, message`);
    lines.push(...summary.problems.map(formatProblem));
  }
  return `${lines.join('\n')}\n`;
}

function row(label: string, count: number, meaning: string): string {
  return `  ${label.padEnd(12)}${String(count).padStart(8)}  ${meaning}`;
}

function formatProblem(problem: LineProblem): string {
  const status = problem.status === null ? '-' : String(problem.status);
  return `  line ${problem.line}: ${problem.outcome} ${status} ${problem.code}: ${problem.message}`;
}

function formatBalances(check: BalanceCheck, created: number): string[] {
  if (!check.checked) return [`  balances: not compared (${check.reason})`];
  const compared = `${check.pairs} restaurant/currency pairs read before and after, as_of ${check.asOf}`;
  if (check.changed.length === 0) return [`  balances: unchanged by this load (${compared})`];
  if (created > 0) {
    return [`  balances: ${check.changed.length} of ${check.pairs} pairs changed, by the ${created} events created (${compared})`];
  }
  return [
    `  balances: CHANGED although this load created nothing, ${check.changed.length} of ${check.pairs} pairs (${compared}; another writer?)`,
    ...check.changed.map(formatChange),
  ];
}

function formatChange(change: BalanceChange): string {
  const show = (b: BalanceChange['before']) => (b === null ? 'no restaurant' : `available ${b.available}, pending ${b.pending}, total ${b.total}`);
  return `    ${change.restaurantId} ${change.currency}: ${show(change.before)} -> ${show(change.after)}`;
}

function replayChangedBalances(summary: LoadSummary): boolean {
  return summary.balances.checked && summary.created === 0 && summary.balances.changed.length > 0;
}
