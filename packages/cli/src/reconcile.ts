import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { REQUEST_TIMEOUT_MS } from './limits.ts';

export interface ReconcileOptions {
  /** A processor settlement report (CSV, docs/reconciliation.md). */
  file: string;
  /** The ledger's base URL, e.g. http://localhost:3000 */
  url: string;
  apiKey?: string | undefined;
  /** Called as the file's bytes are read and sent. */
  onProgress?: (progress: { bytesDone: number; bytesTotal: number }) => void;
}

/** One bad line of a refused file, as the server names it. */
export interface BadLine {
  line: number;
  problems: Array<{ field: string; message: string }>;
}

/** What the server answered: the reconciliation (201 or 200), or its error. */
export type ReconcileOutcome =
  | { ok: true; status: number; reconciliation: Reconciliation }
  | { ok: false; status: number; code: string; message: string; badLines: BadLine[] };

/** The fields of a reconciliation the CLI prints (the SDK's ReconciliationImport type has them all). */
export interface Reconciliation {
  reconciliation_id: string;
  idempotent: boolean;
  scope: { currencies: string[]; paid_from: string; paid_to: string };
  counts: Record<'rows' | 'payouts' | 'matched' | 'amount_mismatch' | 'in_ledger_not_in_report' | 'in_report_not_in_ledger', number>;
  amount_mismatch: Array<{ payout_id: string; ledger_amount: number; report_amount: number; differing_items: Array<{ type: string; reference: string; ledger_amount: number | null; report_amount: number | null }> }>;
  in_ledger_not_in_report: Array<{ payout_id: string; amount: number }>;
  in_report_not_in_ledger: Array<{ payout_id: string; amount: number; reason: string }>;
}

/**
 * Streams a settlement report to `POST {url}/v1/reconciliations` as text/csv, reporting progress
 * over the bytes sent, and returns the server's answer. Sending a file again is safe: the same
 * bytes answer the same reconciliation (200, `idempotent: true`). Throws only when the file cannot
 * be read or the server cannot be reached.
 */
export async function reconcileFile(options: ReconcileOptions): Promise<ReconcileOutcome> {
  const bytesTotal = (await stat(options.file)).size;
  let bytesDone = 0;
  const source = createReadStream(options.file);
  source.on('data', (chunk) => {
    bytesDone += chunk.length;
    options.onProgress?.({ bytesDone, bytesTotal });
  });
  options.onProgress?.({ bytesDone, bytesTotal });
  const response = await fetch(new URL('/v1/reconciliations', options.url), {
    method: 'POST',
    headers: { 'content-type': 'text/csv', ...(options.apiKey !== undefined && { authorization: `Bearer ${options.apiKey}` }) },
    body: Readable.toWeb(source) as ReadableStream<Uint8Array>,
    duplex: 'half',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  } as RequestInit);
  const text = await response.text();
  const body = parseBody(text);
  if (response.ok && body.success === true) return { ok: true, status: response.status, reconciliation: body.data as Reconciliation };
  const error = (body.error ?? {}) as { code?: unknown; message?: unknown; details?: { lines?: unknown } };
  return {
    ok: false,
    status: response.status,
    code: typeof error.code === 'string' ? error.code : 'UNEXPECTED_RESPONSE',
    message: typeof error.message === 'string' ? error.message : text.slice(0, 200),
    badLines: Array.isArray(error.details?.lines) ? (error.details.lines as BadLine[]) : [],
  };
}

function parseBody(text: string): { success?: unknown; data?: unknown; error?: unknown } {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/** The closing report: the summary counts and every discrepancy, or the refusal with every bad line. */
export function formatReconciliation(file: string, outcome: ReconcileOutcome): string {
  if (!outcome.ok) {
    const lines = [`Refused ${file}: ${outcome.status} ${outcome.code}: ${outcome.message}`];
    for (const bad of outcome.badLines) {
      lines.push(`  line ${bad.line}: ${bad.problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`);
    }
    return `${lines.join('\n')}\n`;
  }
  const r = outcome.reconciliation;
  const lines = [
    `Reconciliation ${r.reconciliation_id} of ${file}${r.idempotent ? ' (imported before: the stored result, nothing written)' : ''}`,
    `  scope: ${r.scope.currencies.join(', ')} paid ${r.scope.paid_from} to ${r.scope.paid_to}; ${r.counts.rows} rows, ${r.counts.payouts} payouts`,
    `  matched                  ${r.counts.matched}`,
    `  amount_mismatch          ${r.counts.amount_mismatch}`,
    `  in_ledger_not_in_report  ${r.counts.in_ledger_not_in_report}`,
    `  in_report_not_in_ledger  ${r.counts.in_report_not_in_ledger}`,
  ];
  for (const m of r.amount_mismatch) {
    lines.push(`  mismatch payout ${m.payout_id}: ledger ${m.ledger_amount}, report ${m.report_amount}`);
    for (const item of m.differing_items) lines.push(`    ${item.type} ${item.reference}: ledger ${item.ledger_amount ?? '-'}, report ${item.report_amount ?? '-'}`);
  }
  for (const p of r.in_ledger_not_in_report) lines.push(`  not in report: payout ${p.payout_id} (${p.amount})`);
  for (const p of r.in_report_not_in_ledger) lines.push(`  not in ledger: payout ${p.payout_id} (${p.amount}, ${p.reason})`);
  return `${lines.join('\n')}\n`;
}

/** 0 when every payout matched, 1 when the reconciliation found discrepancies, 3 when the file was refused. */
export function reconcileExitCode(outcome: ReconcileOutcome): number {
  if (!outcome.ok) return EXIT_FILE_REFUSED;
  const { counts } = outcome.reconciliation;
  return counts.amount_mismatch + counts.in_ledger_not_in_report + counts.in_report_not_in_ledger > 0 ? EXIT_DISCREPANCIES : 0;
}

/** The reconciliation was stored and found payouts that do not agree. */
export const EXIT_DISCREPANCIES = 1;
/** The server refused the file (422 with its bad lines, or any other error answer). */
export const EXIT_FILE_REFUSED = 3;
