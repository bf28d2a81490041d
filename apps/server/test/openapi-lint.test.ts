import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, QUIET_TOOLS_ENV, run, SERVER_DIR, writeGeneratedDocument } from './support/openapi-tools.ts';

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
}

describe('the OpenAPI document', () => {
  it('passes Redocly CLI lint (recommended rules and apps/server/redocly.yaml) with no error and no warning', async () => {
    const { file } = writeGeneratedDocument();
    // redocly exits 1 when it finds errors; the JSON report says what they are either way.
    const { stdout } = await run(bin('redocly'), ['lint', file, '--config', join(SERVER_DIR, 'redocly.yaml'), '--format=json'], {
      env: QUIET_TOOLS_ENV,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as LintReport;
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });
});

type Operation = {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { example?: unknown; examples?: unknown; schema?: { $ref?: string } }> }>;
};

describe('every operation of the OpenAPI document', () => {
  const { file } = writeGeneratedDocument();
  const document = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, Operation>> };
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  );

  it.each(operations)('$name states its security, and examples of its body and of every response', ({ operation }) => {
    expect(operation.security).toBeDefined();
    for (const media of Object.values(operation.requestBody?.content ?? {})) expect(media.example).toBeDefined();
    for (const [status, response] of Object.entries(operation.responses)) {
      for (const media of Object.values(response.content ?? {})) expect(media.example ?? media.examples, status).toBeDefined();
      if (Number(status) >= 400) expect(response.content?.['application/json']?.schema?.$ref).toBe('#/components/schemas/Error');
    }
  });
});
