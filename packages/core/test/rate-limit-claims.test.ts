import { describe, expect, it } from 'vitest';
import { claimRateLimit, deleteEndedRateLimitWindows, type RateLimitClaimRequest } from '../src/index.ts';
import { suiteDatabase } from './support/index.ts';

const suite = suiteDatabase('2026-01-15T12:00:00Z');

const ask = (overrides: Partial<RateLimitClaimRequest>): RateLimitClaimRequest => ({
  scope: 'ip',
  clientKey: '203.0.113.7',
  limit: 10,
  want: 4,
  windowMs: 60_000,
  ...overrides,
});

describe('rate-limit claims on the shared counter', () => {
  it('grant slices of the window budget until it is spent, never past the limit', async () => {
    const request = ask({ clientKey: 'slices' });
    const grants = [];
    for (let i = 0; i < 5; i += 1) grants.push(await claimRateLimit(suite.testDb.db, request));
    expect(grants.map((g) => g.granted)).toEqual([4, 4, 2, 0, 0]);
    expect(grants.map((g) => g.claimed)).toEqual([4, 8, 10, 10, 10]);
    for (const { msLeft } of grants) {
      expect(msLeft).toBeGreaterThan(0);
      expect(msLeft).toBeLessThanOrEqual(60_000);
    }
  });

  it('keep clients and scopes apart', async () => {
    const db = suite.testDb.db;
    await claimRateLimit(db, ask({ clientKey: 'apart', want: 10 }));
    expect((await claimRateLimit(db, ask({ clientKey: 'apart' }))).granted).toBe(0);
    expect((await claimRateLimit(db, ask({ clientKey: 'apart', scope: 'webhook_ip' }))).granted).toBe(4);
    expect((await claimRateLimit(db, ask({ clientKey: 'apart-2' }))).granted).toBe(4);
  });

  it('hand out at most the limit to many concurrent claimers, each grant counted once', async () => {
    const pool = suite.testDb.openPool(8);
    const request = ask({ clientKey: 'race', limit: 100, want: 3 });
    const grants = await Promise.all(Array.from({ length: 60 }, () => claimRateLimit(pool, request)));
    const granted = grants.reduce((sum, g) => sum + g.granted, 0);
    expect(granted).toBe(100);
    expect(Math.max(...grants.map((g) => g.claimed))).toBe(100);
  });

  it('start a new budget when the window ends, and delete ended windows', async () => {
    const db = suite.testDb.db;
    const request = ask({ clientKey: 'rollover', windowMs: 1_000, limit: 2, want: 2 });
    let first = await claimRateLimit(db, request);
    // A window boundary between the claims would split them: start right after one.
    if (first.msLeft < 300) {
      await new Promise((resolve) => setTimeout(resolve, first.msLeft + 10));
      first = await claimRateLimit(db, request);
    }
    expect(first.granted).toBe(2);
    expect((await claimRateLimit(db, request)).granted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, first.msLeft + 10));
    expect((await claimRateLimit(db, request)).granted).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1_010));
    expect(await deleteEndedRateLimitWindows(db)).toBeGreaterThanOrEqual(2);
  });
});
