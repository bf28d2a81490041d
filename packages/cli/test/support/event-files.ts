import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const EVENTS_FILE = join(REPO_ROOT, 'events/events.jsonl');
/** Other implementations' event files, copied into the repository so a clean clone has them. */
export const PEER_EVENTS_DIR = resolve(REPO_ROOT, 'packages/cli/test/fixtures/peer-events');

/** A peer file's path; throws (so the test fails, never skips) when the fixture is missing. */
export function peerEventsFile(name: string): string {
  const path = join(PEER_EVENTS_DIR, name);
  if (!existsSync(path)) {
    throw new Error(`peer event file ${path} is missing: it belongs in packages/cli/test/fixtures/peer-events/`);
  }
  return path;
}

export interface WireEvent {
  event_id: string;
  event_type: string;
  occurred_at: string;
  restaurant_id: string;
  currency: string;
  amount: number;
  fee?: number;
  metadata?: Record<string, unknown>;
}

/** The non-blank lines of a JSONL file, parsed. */
export function readEvents(path: string): WireEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as WireEvent);
}

/** Writes `lines` to a fresh temporary .jsonl file and returns its path. */
export function writeTempEvents(lines: readonly string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ledger-cli-')), 'events.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`, 'utf8');
  return path;
}
