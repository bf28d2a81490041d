import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envSchema, SETTINGS, type Setting } from '../src/config.ts';
import { SETTING_DESCRIPTIONS } from '../src/config-descriptions.ts';
import { ERROR_DESCRIPTIONS } from '../src/error-descriptions.ts';
import { ERROR_HTTP } from '../src/errors.ts';
import { LOG_LEVEL_DEFAULT } from '../src/logger.ts';
import { WIRE_ERROR_CODES } from '../src/edge-errors.ts';
import { limitRows } from './limits-table.ts';

/**
 * The tables in docs/ that restate code: written from the code between
 * `<!-- generated: NAME -->` and `<!-- /generated -->`, so the docs cannot drift from it.
 * `pnpm docs:generate` rewrites them; apps/server/test/docs-tables.test.ts fails while they are stale.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const GENERATED_TABLES: Readonly<Record<string, Readonly<Record<string, () => string>>>> = {
  'docs/api.md': { 'error-codes': errorCodesTable },
  'docs/configuration.md': { settings: settingsTable, limits: limitsTable },
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function errorCodesTable(): string {
  return table(
    ['code', 'HTTP', 'when'],
    WIRE_ERROR_CODES.map((code) => [`\`${code}\``, String(ERROR_HTTP[code].status), ERROR_DESCRIPTIONS[code]]),
  );
}

interface JsonSchemaField {
  default?: unknown;
  type?: string;
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
  const?: unknown;
  anyOf?: readonly JsonSchemaField[];
  format?: string;
}

/** The accepted values, as the schema enforces them; free text says nothing here. */
function accepted(field: JsonSchemaField | undefined): string {
  if (field === undefined) return '';
  if (field.enum !== undefined) return field.enum.map((value) => `\`${String(value)}\``).join(', ');
  if (field.const !== undefined) return field.const === '' ? '' : `\`${String(field.const)}\``;
  if (field.anyOf !== undefined) return field.anyOf.map(accepted).filter((text) => text !== '').join(' or ');
  if (field.type === 'integer') return `${String(field.minimum)}–${String(field.maximum)}`;
  if (field.format === 'uri') return 'a URL';
  return '';
}

function defaultValue(name: Setting, field: JsonSchemaField | undefined): string {
  if (name === 'LOG_LEVEL') return `\`${LOG_LEVEL_DEFAULT}\``;
  if (field?.default !== undefined) return `\`${String(field.default)}\``;
  const unset = SETTING_DESCRIPTIONS[name].unset;
  if (unset === undefined) throw new Error(`${name} has no default: say in SETTING_DESCRIPTIONS what leaving it unset does`);
  return `unset: ${unset}`;
}

export function settingsTable(): string {
  const schema = z.toJSONSchema(envSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Partial<Record<Setting, JsonSchemaField>>;
  };
  return table(
    ['variable', 'default', 'accepted', 'meaning'],
    SETTINGS.map((name) => {
      const field = schema.properties[name];
      return [`\`${name}\``, defaultValue(name, field), accepted(field), SETTING_DESCRIPTIONS[name].meaning];
    }),
  );
}

/** Every limit and default, from the limit modules, with the variable that changes it. */
export function limitsTable(): string {
  return table(
    ['limit', 'value', 'set by', 'meaning'],
    limitRows(REPO_ROOT).map((row) => [
      `\`${row.name}\``,
      typeof row.value === 'number' ? String(row.value) : `\`${row.value}\``,
      row.setting === undefined ? 'fixed' : `\`${row.setting}\``,
      row.meaning,
    ]),
  );
}

/** `text` with each named generated block replaced by what the code gives now. */
export function withTables(path: string, text: string, tables: Readonly<Record<string, () => string>>): string {
  let result = text;
  for (const [name, render] of Object.entries(tables)) {
    const block = new RegExp(`(<!-- generated: ${name}(?: [^>]*)?-->\\n)(?:[\\s\\S]*?\\n)?(<!-- /generated -->)`);
    if (!block.test(result)) throw new Error(`${path} has no "<!-- generated: ${name} … -->" … "<!-- /generated -->" block`);
    result = result.replace(block, (_match, open: string, close: string) => `${open}${render()}\n${close}`);
  }
  return result;
}

/** Each generated file as committed and as the code would write it. */
export function generatedDocs(): Array<{ path: string; committed: string; generated: string }> {
  return Object.entries(GENERATED_TABLES).map(([path, tables]) => {
    const committed = readFileSync(`${REPO_ROOT}${path}`, 'utf8');
    return { path, committed, generated: withTables(path, committed, tables) };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { path, committed, generated } of generatedDocs()) {
    if (generated === committed) {
      console.log(`${path} is up to date`);
    } else {
      writeFileSync(`${REPO_ROOT}${path}`, generated);
      console.log(`wrote the generated tables of ${path}`);
    }
  }
}
