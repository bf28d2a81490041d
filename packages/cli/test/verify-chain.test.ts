import { request, sealLedger, startTestServer, tamperAsSuperuser, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CHAIN_BROKEN } from '../src/index.ts';
import { ledgerCommand as ledger } from './support/ledger-command.ts';

const API_KEY = 'key_cli_verify';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY], payoutWorker: false });
  for (let i = 0; i < 3; i += 1) {
    const charge = { event_id: `evt_cli_seal_${i}`, event_type: 'charge_succeeded', occurred_at: '2025-12-20T15:10:00Z', restaurant_id: 'res_cli_seal', currency: 'PEN', amount: 12000, fee: 600 };
    expect((await request(`${server.url}/v1/processor/events`, { body: charge })).status).toBe(201);
  }
  await sealLedger(server, 2);
});
afterAll(() => server.close());

describe('pnpm ledger verify-chain', () => {
  it('prints the sound chain and exits 0', async () => {
    const result = await ledger(['verify-chain', '--url', server.url, '--api-key', API_KEY]);
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^chain OK: 3 blocks, 6 entries hashed again\n/);
    expect(result.stdout).toMatch(/sealed through entry 6: block 3, hash [0-9a-f]{64}\n/);
  });

  it('exits 2 with the server\'s error for a block not sealed, and refuses a malformed block number itself', async () => {
    const notSealed = await ledger(['verify-chain', '--url', server.url, '--api-key', API_KEY, '--from-block', '9']);
    expect(notSealed.code).toBe(2);
    expect(notSealed.stderr).toContain('422 VALIDATION_ERROR');
    const malformed = await ledger(['verify-chain', '--url', server.url, '--from-block', 'x']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('expected an integer');
  });

  it('exits 1 and names the first broken link after a superuser deleted a sealed entry', async () => {
    await tamperAsSuperuser(server, 'DELETE FROM ledger_entries WHERE id = 4');
    const result = await ledger(['verify-chain', '--url', server.url, '--api-key', API_KEY]);
    expect(result.code).toBe(EXIT_CHAIN_BROKEN);
    expect(result.stderr).toMatch(/^chain BROKEN at block 2: ENTRY_MISSING \(an entry of the block was deleted\)\n/);
    expect(result.stderr).toContain('entries   sealed 2, found 1');
  });
});
