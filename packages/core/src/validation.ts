import type { z } from 'zod';
import { LedgerError } from './errors.ts';
import { INGESTIBLE_EVENT_TYPES, UNKNOWN_EVENT_TYPE_MESSAGE } from './events/event.schema.ts';

export interface FieldIssue {
  /** Dotted path of the offending field; `(body)` when the body itself is wrong. */
  field: string;
  message: string;
}

/**
 * Turns a schema failure into the ledger's error: EVENT_INVALID_TYPE when event_type names no
 * event we apply (the other issues are then noise), otherwise VALIDATION_ERROR naming each field.
 */
export function ledgerErrorFromZod(error: z.ZodError): LedgerError {
  const all: FieldIssue[] = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'unknown field' }))
      : [{ field: issue.path.length > 0 ? issue.path.join('.') : '(body)', message: issue.message }],
  );
  // One issue per field, the first: the schemas order their checks most-telling first.
  const issues = all.filter((issue, index) => all.findIndex((other) => other.field === issue.field) === index);
  // Only a string naming no known type is EVENT_INVALID_TYPE; a missing or non-string one is a plain
  // validation error. zod reports both with one code, so the enum's message tells them apart.
  const unknownType = error.issues.some(
    (issue) => issue.path.length === 1 && issue.path[0] === 'event_type' && issue.message === UNKNOWN_EVENT_TYPE_MESSAGE,
  );
  if (unknownType) {
    return new LedgerError('EVENT_INVALID_TYPE', UNKNOWN_EVENT_TYPE_MESSAGE, {
      field: 'event_type',
      supported: INGESTIBLE_EVENT_TYPES,
      issues,
    });
  }
  return new LedgerError('VALIDATION_ERROR', `Invalid input: ${issues.map((issue) => issue.field).join(', ')}`, { issues });
}
