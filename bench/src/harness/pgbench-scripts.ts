import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The raw side of the balance figures, and the statements the bare-Node baseline's balance route sends: the balance SQL alone. */
export const BALANCE_SCRIPT = 'balance.sql';
/** The folder of the pgbench scripts: one file per scenario, each saying which of the service's SQL it is. */
export const PGBENCH_SCRIPTS_DIR = new URL('../../pgbench/', import.meta.url).pathname;

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

/**
 * `-- @statement <snapshot file> <statement name> [\gset|\aset [prefix]]`: the service's statement,
 * copied in when the script runs, ended by `;` or by the pgbench meta-command given.
 */
const STATEMENT_DIRECTIVE = /^-- @statement (\S+) (\S+)(?:\s+(\\[ga]set(?:\s+\w+)?))?\s*$/;
/** `-- @$<n> <expression>`: what the script sends in place of the statement's parameter $n. */
const PARAMETER_DIRECTIVE = /^-- @\$(\d+) (.+)$/;
let expandedDir: string | undefined;

/**
 * The file pgbench runs for `script`: the script itself, or, when it names statements of the
 * service with `-- @statement` (each followed by one `-- @$n` line per parameter), a copy with each
 * such block replaced by the statement's text from packages/core/sql/ as it is now, every $n
 * replaced by its expression. So the script sends the service's current text and cannot go stale;
 * a statement gone, or a parameter without an expression (or one too many), is an error.
 */
export function scriptFile(script: string): string {
  const source = readFileSync(join(PGBENCH_SCRIPTS_DIR, script), 'utf8');
  if (!source.split('\n').some((line) => STATEMENT_DIRECTIVE.test(line))) return join(PGBENCH_SCRIPTS_DIR, script);
  expandedDir ??= mkdtempSync(join(tmpdir(), 'perf-bench-scripts-'));
  const file = join(expandedDir, script);
  writeFileSync(file, expandStatements(source));
  return file;
}

export function expandStatements(source: string): string {
  return parseScript(source)
    .map((part) =>
      typeof part === 'string'
        ? part
        : `${substituteParameters(snapshotStatement(part.file, part.name), part.parameters, `${part.file} ${part.name}`)}${part.ending === undefined ? ';' : ` ${part.ending}`}`,
    )
    .join('\n');
}

/** A `-- @statement` block of a script: the service's statement it names, and what it sends for each parameter ($n → expression). */
export interface ScriptStatement {
  file: string;
  name: string;
  parameters: Map<string, string>;
  /** The pgbench meta-command that ends it (`\aset b_`), if any. */
  ending: string | undefined;
}

/** The `-- @statement` blocks of `script`, in order: what the bare-Node baseline sends for the balance script (bare-node/server.ts). */
export function scriptStatements(script: string): ScriptStatement[] {
  return parseScript(readFileSync(join(PGBENCH_SCRIPTS_DIR, script), 'utf8')).filter((part) => typeof part !== 'string');
}

/** A script's lines, each `-- @statement` block (with its `-- @$n` lines) as one ScriptStatement. */
function parseScript(source: string): Array<string | ScriptStatement> {
  const out: Array<string | ScriptStatement> = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const directive = STATEMENT_DIRECTIVE.exec(lines[i] ?? '');
    if (directive === null) {
      out.push(lines[i] ?? '');
      continue;
    }
    const [, file = '', name = '', ending] = directive;
    const parameters = new Map<string, string>();
    for (let next = PARAMETER_DIRECTIVE.exec(lines[i + 1] ?? ''); next !== null; next = PARAMETER_DIRECTIVE.exec(lines[i + 1] ?? '')) {
      parameters.set(next[1] ?? '', next[2] ?? '');
      i += 1;
    }
    out.push({ file, name, parameters, ending });
  }
  return out;
}

function substituteParameters(text: string, parameters: Map<string, string>, statement: string): string {
  const used = new Set<string>();
  const filled = text.replace(/\$(\d+)\b/g, (_match, n: string) => {
    const expression = parameters.get(n);
    if (expression === undefined) throw new Error(`${statement}: no -- @$${n} expression for its parameter $${n}`);
    used.add(n);
    return expression;
  });
  const unused = [...parameters.keys()].filter((n) => !used.has(n));
  if (unused.length > 0) throw new Error(`${statement} has no parameter ${unused.map((n) => `$${n}`).join(', ')}`);
  return filled;
}

/** One statement of a snapshot file: the lines after its `-- <name>` line, up to the blank line that ends it. */
export function snapshotStatement(file: string, name: string): string {
  const lines = readFileSync(join(SNAPSHOTS_DIR, file), 'utf8').split('\n');
  const start = lines.indexOf(`-- ${name}`);
  if (start < 0) throw new Error(`packages/core/sql/${file} has no statement ${name}`);
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .replace(/;\s*$/, '');
}
