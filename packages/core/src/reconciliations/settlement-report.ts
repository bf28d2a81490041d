import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { z } from 'zod';
import { LedgerError } from '../errors.ts';
import { isStorableString } from '../json-safety.ts';
import { AMOUNT_MINOR_MAX, OCCURRED_AT_MIN, RECONCILIATION_FIELD_LENGTH_MAX, RECONCILIATION_ROWS_MAX } from '../limits.ts';
import { REPORT_ITEM_TYPES, type ReportItemType, SETTLEMENT_REPORT_COLUMNS, SETTLEMENT_REPORT_HEADER } from './reconciliation.schema.ts';

/** One row of a settlement report: a settled item of a payout, with its line in the file. */
export interface ReportRow {
  line: number;
  payout_id: string;
  amount: number;
  currency: string;
  paid_date: string;
  type: ReportItemType;
  reference: string;
}

/** A payout as the report gives it: its rows, and their sum. */
export interface ReportPayout {
  payout_id: string;
  currency: string;
  paid_date: string;
  amount: number;
  rows: ReportRow[];
}

export interface SettlementReport {
  rowCount: number;
  /** In the order the file first names them. */
  payouts: ReportPayout[];
  scope: { currencies: string[]; paid_from: string; paid_to: string };
}

export interface LineProblem {
  field: string;
  message: string;
}

export interface BadLine {
  line: number;
  problems: LineProblem[];
}

const AMOUNT_FORMAT = /^-?(0|[1-9][0-9]*)$/;
const CURRENCY_FORMAT = /^[A-Z]{3}$/;
const TEXT_FORMAT = new RegExp(`^[^\\x00-\\x1f\\x7f]{1,${RECONCILIATION_FIELD_LENGTH_MAX}}$`);
const EARLIEST_DAY = OCCURRED_AT_MIN.slice(0, 10);
const dateSchema = z.iso.date();
/** How each report type signs its amount, as the ledger signs the entries it covers. */
const SIGN_RULES: Readonly<Record<ReportItemType, { ok: (amount: number) => boolean; message: string }>> = {
  charge: { ok: (amount) => amount > 0, message: 'a charge is positive' },
  refund: { ok: (amount) => amount < 0, message: 'a refund is negative' },
  fee: { ok: (amount) => amount < 0, message: 'a fee is negative' },
  dispute: { ok: (amount) => amount !== 0, message: 'a dispute item is not zero' },
};

/**
 * Reads a processor settlement report (docs/reconciliation.md): the exact header, then one row per
 * settled item. Every line is checked, so a refusal names every bad line, the header being line 1.
 * No field of this layout may hold a comma, a quote or a line break, so csv-parse splits records
 * with quoting off: each line is one record and a quoting mistake stays on its own line (with
 * quoting on, one unclosed quote would swallow the rest of the file); a field quoted whole
 * (`"12000"`, as spreadsheets write them) is unquoted here.
 * @throws LedgerError RECONCILIATION_FILE_INVALID, with `details.lines` ({line, problems}) and `details.bad_lines`
 */
export async function readSettlementReport(text: string): Promise<SettlementReport> {
  const bad: BadLine[] = [];
  const rows: ReportRow[] = [];
  let sawHeader = false;
  for await (const { record, info } of Readable.from([text]).pipe(csvRecords())) {
    const line = info.lines;
    if (!sawHeader) {
      sawHeader = true;
      const problem = headerProblem(record);
      if (problem !== undefined) bad.push({ line, problems: [problem] });
      continue;
    }
    if (line - 1 > RECONCILIATION_ROWS_MAX) {
      bad.push({ line, problems: [{ field: '(file)', message: `a report has at most ${RECONCILIATION_ROWS_MAX} rows` }] });
      break;
    }
    const parsed = readRow(record, line);
    if ('problems' in parsed) bad.push(parsed);
    else rows.push(parsed);
  }
  if (!sawHeader) bad.push({ line: 1, problems: [{ field: '(file)', message: `the file is empty: its first line must be ${SETTLEMENT_REPORT_HEADER}` }] });
  else if (rows.length === 0 && bad.length === 0) bad.push({ line: 1, problems: [{ field: '(file)', message: 'the file has no rows after its header' }] });
  const payouts = groupPayouts(rows, bad);
  if (bad.length > 0) throw fileInvalid(bad);
  return { rowCount: rows.length, payouts, scope: scopeOf(rows) };
}

/**
 * The file's text, when its bytes are UTF-8 (a byte-order mark is kept, and read past by the reader).
 * @throws LedgerError RECONCILIATION_FILE_INVALID naming every line that is not UTF-8
 */
export function decodeSettlementReport(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const bad: BadLine[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line += 1) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    if (!isUtf8(bytes.subarray(start, stop))) bad.push({ line, problems: [{ field: '(line)', message: 'not valid UTF-8' }] });
    start = stop + 1;
  }
  throw fileInvalid(bad);
}

function csvRecords() {
  return parse({ bom: true, quote: false, relax_column_count: true, skip_empty_lines: false, info: true });
}

function fileInvalid(bad: BadLine[]): LedgerError {
  const sorted = [...bad].sort((a, b) => a.line - b.line);
  const lines = sorted.map((entry) => entry.line);
  return new LedgerError(
    'RECONCILIATION_FILE_INVALID',
    `The settlement report is malformed; nothing was imported. Bad lines: ${lines.slice(0, 20).join(', ')}${lines.length > 20 ? ', …' : ''}`,
    { bad_lines: lines, lines: sorted },
  );
}

/** A field quoted whole, with inner quotes doubled, is its inner text; any other quote is a mistake. */
function unquote(field: string): string | undefined {
  if (!field.includes('"')) return field;
  const quoted = /^"((?:[^"]|"")*)"$/.exec(field);
  return quoted === null ? undefined : (quoted[1] ?? '').replaceAll('""', '"');
}

function headerProblem(record: readonly string[]): LineProblem | undefined {
  const names = record.map(unquote);
  if (names.length === SETTLEMENT_REPORT_COLUMNS.length && names.every((name, i) => name === SETTLEMENT_REPORT_COLUMNS[i])) return undefined;
  return { field: '(header)', message: `the header must be exactly ${SETTLEMENT_REPORT_HEADER}` };
}

function readRow(record: readonly string[], line: number): ReportRow | BadLine {
  if (record.length === 1 && record[0] === '') return { line, problems: [{ field: '(line)', message: 'empty line' }] };
  if (record.length !== SETTLEMENT_REPORT_COLUMNS.length) {
    return { line, problems: [{ field: '(line)', message: `expected ${SETTLEMENT_REPORT_COLUMNS.length} fields, found ${record.length}` }] };
  }
  const problems: LineProblem[] = [];
  const fields = SETTLEMENT_REPORT_COLUMNS.map((column, i) => {
    const value = unquote(record[i] ?? '');
    if (value === undefined) problems.push({ field: column, message: 'a quote must enclose the whole field, and a quote inside it must be doubled' });
    return value ?? '';
  });
  const [payoutId = '', amountText = '', currency = '', paidDate = '', type = '', reference = ''] = fields;
  const checks: Array<[string, string | undefined]> = [
    ['payout_id', textProblem(payoutId)],
    ['amount', amountProblem(amountText, type)],
    ['currency', CURRENCY_FORMAT.test(currency) ? undefined : 'must be an ISO 4217 code such as PEN'],
    ['paid_date', dateProblem(paidDate)],
    ['type', isReportType(type) ? undefined : `must be one of ${REPORT_ITEM_TYPES.join(', ')}`],
    ['reference', textProblem(reference)],
  ];
  for (const [field, message] of checks) {
    if (message !== undefined && !problems.some((problem) => problem.field === field)) problems.push({ field, message });
  }
  if (problems.length > 0 || !isReportType(type)) return { line, problems };
  return { line, payout_id: payoutId, amount: Number(amountText), currency, paid_date: paidDate, type, reference };
}

function isReportType(value: string): value is ReportItemType {
  return (REPORT_ITEM_TYPES as readonly string[]).includes(value);
}

function textProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  if (!TEXT_FORMAT.test(value) || !isStorableString(value)) return `must be 1-${RECONCILIATION_FIELD_LENGTH_MAX} characters without control characters`;
  return undefined;
}

function amountProblem(text: string, type: string): string | undefined {
  if (!AMOUNT_FORMAT.test(text)) return 'must be a whole number of minor units, e.g. 12000 or -600';
  const amount = Number(text);
  if (Math.abs(amount) > AMOUNT_MINOR_MAX) return `must be at most ${AMOUNT_MINOR_MAX} in absolute value`;
  if (isReportType(type) && !SIGN_RULES[type].ok(amount)) return `signed as the ledger signs it: ${SIGN_RULES[type].message}`;
  return undefined;
}

function dateProblem(text: string): string | undefined {
  if (!dateSchema.safeParse(text).success) return 'must be a date, YYYY-MM-DD';
  return text < EARLIEST_DAY ? `must be ${EARLIEST_DAY} or later` : undefined;
}

/**
 * The report's payouts, in the order the file first names them. Every row of a payout must carry
 * its first row's currency and paid_date (a payout is one transfer), and their sum must stay within
 * what JSON carries exactly; a row breaking either is a bad line.
 */
function groupPayouts(rows: readonly ReportRow[], bad: BadLine[]): ReportPayout[] {
  const byId = new Map<string, ReportPayout>();
  for (const row of rows) {
    const payout = byId.get(row.payout_id);
    if (payout === undefined) {
      byId.set(row.payout_id, { payout_id: row.payout_id, currency: row.currency, paid_date: row.paid_date, amount: row.amount, rows: [row] });
      continue;
    }
    const problems: LineProblem[] = [];
    if (row.currency !== payout.currency) problems.push({ field: 'currency', message: `payout ${row.payout_id} is in ${payout.currency} on line ${payout.rows[0]?.line}` });
    if (row.paid_date !== payout.paid_date) problems.push({ field: 'paid_date', message: `payout ${row.payout_id} was paid on ${payout.paid_date} on line ${payout.rows[0]?.line}` });
    if (Math.abs(payout.amount + row.amount) > AMOUNT_MINOR_MAX) problems.push({ field: 'amount', message: `payout ${row.payout_id}'s rows sum beyond ${AMOUNT_MINOR_MAX}` });
    if (problems.length > 0) {
      bad.push({ line: row.line, problems });
      continue;
    }
    payout.amount += row.amount;
    payout.rows.push(row);
  }
  return [...byId.values()];
}

function scopeOf(rows: readonly ReportRow[]): SettlementReport['scope'] {
  const dates = rows.map((row) => row.paid_date).sort();
  return {
    currencies: [...new Set(rows.map((row) => row.currency))].sort(),
    paid_from: dates[0] ?? '',
    paid_to: dates[dates.length - 1] ?? '',
  };
}
