import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGBENCH_SCRIPTS_DIR } from './pgbench.ts';

const SNAPSHOTS_DIR = new URL('../../../packages/core/sql/', import.meta.url).pathname;
/** Hex digits of a snapshot's sha256 kept in a script's header: enough to notice a change. */
const SNAPSHOT_HASH_CHARS = 12;

/** What a script's leading comment says: its description and the SQL snapshots it was copied from. */
export interface ScriptHeader {
  script: string;
  description: string;
  /** `-- snapshots: file@hash …`: each snapshot file of packages/core/sql/ and its hash when the script was written. */
  snapshots: Array<{ file: string; hash: string }>;
}

export function readScriptHeader(script: string): ScriptHeader {
  const description: string[] = [];
  const snapshots: ScriptHeader['snapshots'] = [];
  for (const line of readFileSync(join(PGBENCH_SCRIPTS_DIR, script), 'utf8').split('\n')) {
    if (!line.startsWith('--')) break;
    const text = line.replace(/^--\s?/, '');
    if (!text.startsWith('snapshots:')) {
      description.push(text);
      continue;
    }
    for (const entry of text.slice('snapshots:'.length).trim().split(/\s+/)) {
      const [file, hash] = entry.split('@');
      if (file !== undefined && hash !== undefined) snapshots.push({ file, hash });
    }
  }
  return { script, description: description.join(' '), snapshots };
}

export function snapshotHash(file: string): string {
  return createHash('sha256').update(readFileSync(join(SNAPSHOTS_DIR, file))).digest('hex').slice(0, SNAPSHOT_HASH_CHARS);
}

/**
 * The snapshots that changed since the script was copied from them: the service may now send
 * other SQL than the ceiling runs. A warning, not an error: the figures are still measured.
 */
export function staleSnapshots(header: ScriptHeader): string[] {
  return header.snapshots.flatMap(({ file, hash }) => {
    let now: string;
    try {
      now = snapshotHash(file);
    } catch {
      return [`${header.script}: packages/core/sql/${file} is gone`];
    }
    return now === hash ? [] : [`${header.script}: packages/core/sql/${file} changed since the script was written (${hash} → ${now}); check that the script still sends what the service sends, then update its snapshots line`];
  });
}
