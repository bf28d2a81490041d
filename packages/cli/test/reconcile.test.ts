import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_DISCREPANCIES, EXIT_FILE_REFUSED, reconcileFile } from '../src/index.ts';
import { ledgerCommand } from './support/ledger-command.ts';

const API_KEY = 'key_cli_reconcile';
const HEADER = 'payout_id,amount,currency,paid_date,type,reference';
const auth = { authorization: `Bearer ${API_KEY}` };
const today = () => new Date().toISOString().slice(0, 10);

const ledger = ledgerCommand;

const directory = mkdtempSync(join(tmpdir(), 'ledger-reconcile-'));
function writeReport(name: string, rows: string[]): string {
  const file = join(directory, name);
  writeFileSync(file, `${[HEADER, ...rows].join('\n')}\n`);
  return file;
}

let server: TestServer;
let payoutId: string;

/** A charge of 12000 (fee 600) a month ago, paid out by a run and marked paid by the processor today. */
beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
  const charge = {
    event_id: 'evt_cli_rec',
    event_type: 'charge_succeeded',
    occurred_at: new Date(Date.now() - 30 * 24 * 3_600_000).toISOString(),
    restaurant_id: 'res_cli_rec',
    currency: 'PEN',
    amount: 12000,
    fee: 600,
  };
  expect((await request(`${server.url}/v1/processor/events`, { body: charge })).status).toBe(201);
  const started = await request(`${server.url}/v1/payouts/run`, { body: { currency: 'PEN', as_of: today(), min_amount: 0 }, headers: auth });
  for (let i = 0; i < 200; i += 1) {
    const runState = await request(`${server.url}/v1/payouts/runs/${started.body.data.run_id}`, { headers: auth });
    if (runState.body.data.status === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [payout] = (await request(`${server.url}/v1/payouts?currency=PEN`, { headers: auth })).body.data.items;
  payoutId = payout.payout_id;
  const paid = { ...charge, event_id: 'evt_cli_rec_paid', event_type: 'payout_paid', occurred_at: new Date().toISOString(), amount: 11400, fee: 0, metadata: { payout_id: payoutId } };
  expect((await request(`${server.url}/v1/processor/events`, { body: paid })).status).toBe(201);
});
afterAll(() => server.close());

describe('pnpm ledger reconcile', () => {
  it('imports a report, prints the summary and exits 0 when every payout matched; a second import says it was imported before', async () => {
    const file = writeReport('matched.csv', [`${payoutId},12000,PEN,${today()},charge,evt_cli_rec`, `${payoutId},-600,PEN,${today()},fee,evt_cli_rec`]);
    const first = await ledger(['reconcile', file, '--url', server.url, '--api-key', API_KEY]);
    expect(first, first.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^Reconciliation \d+ of /);
    expect(first.stdout).toMatch(/matched\s+1\n/);
    expect(first.stdout).toMatch(/amount_mismatch\s+0\n/);
    const again = await ledger(['reconcile', file, '--url', server.url, '--api-key', API_KEY]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('imported before');
  });

  it('exits 1 and prints the discrepancies when a payout does not agree', async () => {
    const file = writeReport('mismatch.csv', [`${payoutId},12000,PEN,${today()},charge,evt_cli_rec`, `${payoutId},-700,PEN,${today()},fee,evt_cli_rec`]);
    const result = await ledger(['reconcile', file, '--url', server.url, '--api-key', API_KEY]);
    expect(result.code).toBe(EXIT_DISCREPANCIES);
    expect(result.stdout).toContain(`mismatch payout ${payoutId}: ledger 11400, report 11300`);
    expect(result.stdout).toContain('fee evt_cli_rec: ledger -600, report -700');
  });

  it('exits non-zero on a refused file and prints every bad line number', async () => {
    const file = writeReport('bad.csv', [`${payoutId},12000,PEN,${today()},charge,evt_cli_rec`, `${payoutId},12.5,PEN,${today()},charge,x`, `${payoutId},-600,PEN,not-a-date,fee,x`, 'too,few']);
    const result = await ledger(['reconcile', file, '--url', server.url, '--api-key', API_KEY]);
    expect(result.code).toBe(EXIT_FILE_REFUSED);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('422 RECONCILIATION_FILE_INVALID');
    expect(result.stderr).toMatch(/line 3: amount: /);
    expect(result.stderr).toMatch(/line 4: paid_date: /);
    expect(result.stderr).toMatch(/line 5: \(line\): expected 6 fields, found 2/);
  });

  it('exits non-zero with AUTH_REQUIRED without the API key, and 2 when the server cannot be reached', async () => {
    const file = writeReport('noauth.csv', [`${payoutId},12000,PEN,${today()},charge,evt_cli_rec`]);
    const refused = await ledger(['reconcile', file, '--url', server.url]);
    expect(refused.code).toBe(EXIT_FILE_REFUSED);
    expect(refused.stderr).toContain('401 AUTH_REQUIRED');
    const unreachable = await ledger(['reconcile', file, '--url', 'http://127.0.0.1:9', '--api-key', API_KEY]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:9');
  });

  it('reports progress over the bytes sent, up to the whole file', async () => {
    const rows = Array.from({ length: 3_000 }, (_, i) => `9${i},100,USD,${today()},charge,evt_progress_${i}`);
    const file = writeReport('large.csv', rows);
    const seen: Array<{ bytesDone: number; bytesTotal: number }> = [];
    const outcome = await reconcileFile({ file, url: server.url, apiKey: API_KEY, onProgress: (progress) => seen.push(progress) });
    expect(outcome.ok && outcome.reconciliation.counts).toMatchObject({ rows: 3_000, in_report_not_in_ledger: 3_000 });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toEqual({ bytesDone: seen[0]?.bytesTotal, bytesTotal: seen[0]?.bytesTotal });
  });
});
