/** Validation of untrusted input against an operation's schema, as one coded error. */
import type { z } from 'zod';
import { CustosError } from '../core/errors.js';

/**
 * INPUT_INVALID naming the first bad field (`details.field`, dotted) and zod's issue code; the
 * message never repeats the value, which may be a secret.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue === undefined ? '' : issue.path.map(String).join('.');
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ').slice(0, 200) : undefined;
  const what = keys === undefined ? (issue?.message ?? 'invalid') : `unknown field(s) ${keys}`;
  throw new CustosError('INPUT_INVALID', `${field === '' ? 'input' : field}: ${what}`, {
    details: { field, issue: issue?.code ?? 'invalid', issues: result.error.issues.length },
  });
}
