import { describe, expect, it } from 'vitest';
import { nodeSupport } from '../src/node-version.ts';

const DECEMBER_2026 = new Date('2026-12-03T12:00:00Z');

describe('the Node.js version check at start-up', () => {
  it('accepts the maintained LTS lines', () => {
    expect(nodeSupport('v22.23.5', DECEMBER_2026)).toEqual({ status: 'supported', major: 22 });
    expect(nodeSupport('v24.22.3', DECEMBER_2026)).toEqual({ status: 'supported', major: 24 });
  });

  it('flags Node 20 as end of life from 2026-04-30, and not before', () => {
    expect(nodeSupport('v20.20.2', new Date('2026-04-29T23:59:59Z')).status).toBe('supported');
    const eol = nodeSupport('v20.20.2', new Date('2026-04-30T00:00:00Z'));
    expect(eol).toMatchObject({ status: 'end-of-life', major: 20 });
    if (eol.status === 'end-of-life') expect(eol.message).toContain('2026-04-30');
  });

  it('flags a line once its end-of-life day comes', () => {
    expect(nodeSupport('v22.0.0', new Date('2027-04-30T00:00:00Z')).status).toBe('end-of-life');
  });

  it('calls any other line unsupported, naming the supported ones', () => {
    for (const version of ['v18.20.0', 'v21.7.0', 'v25.1.0', 'v26.0.0', 'not-a-version']) {
      const support = nodeSupport(version, DECEMBER_2026);
      expect(support.status).toBe('unsupported');
      if (support.status === 'unsupported') expect(support.message).toContain('20, 22, 24');
    }
  });
});
