/**
 * `custos request`: file a request as the acting principal and take it as far as it goes now
 * (policy decision; an automatic route also executes and verifies it). Exceptions and break-glass
 * are requests too (`custos exceptions request`, `custos break-glass request` build them).
 *
 *   custos request --action ACTION (--identity ID[,ID..] | --new NAME --kind KIND --system SYSTEM [--tags T,..])
 *                  [--entitlements E,..] [--duration MINUTES] --justification TEXT
 *                  [--idempotency-key KEY] [--secret-out FILE|-] [--json]
 *   custos request --file REQUEST.yaml --justification TEXT …   (a plain request: action, resource, context)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { JsonValue } from '../../core/canonical-json.js';
import { CustosError } from '../../core/errors.js';
import { intFlag, listFlag, required } from '../args.js';
import { withBackend } from '../backend.js';
import { prepareSecretOut, printExecuted } from '../executed.js';
import type { CliIo, ParsedArgs } from '../io.js';
import type { InputOf } from '../../service/index.js';

type Plain = InputOf<'fileRequest'>['request'];

export const REQUEST_USAGE =
  'usage: custos request --action ACTION (--identity ID[,ID..] | --new NAME --kind KIND --system SYSTEM [--tags T,..])\n' +
  '         [--entitlements E,..] [--duration MINUTES] --justification TEXT [--idempotency-key KEY]\n' +
  '         [--secret-out FILE|-] [--json]\n' +
  '       custos request --file REQUEST.yaml --justification TEXT [...]';

export function requestCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const request = args.flags['file'] === undefined ? fromFlags(args) : fromFile(args, io);
  return fileRequest(args, io, request);
}

/** Files `request` with the justification and idempotency key the flags give. */
export function fileRequest(args: ParsedArgs, io: CliIo, request: Plain): Promise<number> {
  const justification = required(args, 'justification', REQUEST_USAGE);
  prepareSecretOut(args, io, request.action);
  // A fresh key per invocation unless the caller gives one to make a retry safe.
  const idempotencyKey = args.flags['idempotency-key'] ?? `cli-${crypto.randomUUID()}`;
  return withBackend(args, io, async ({ api, caller }) =>
    printExecuted(args, io, await api.fileRequest(caller, { request, justification, idempotencyKey })),
  );
}

/** The request the flags describe; `context` gathers what policy reads. */
export function fromFlags(args: ParsedArgs, fixedAction?: Plain['action']): Plain {
  const action = (fixedAction ?? required(args, 'action', REQUEST_USAGE)) as Plain['action'];
  return { action, resource: resourceOf(args), context: contextOf(args) };
}

function resourceOf(args: ParsedArgs): Plain['resource'] {
  const identity = args.flags['identity'];
  const name = args.flags['new'];
  if ((identity === undefined) === (name === undefined)) {
    throw new CustosError(
      'INPUT_INVALID',
      `give exactly one of --identity ID or --new NAME\n${REQUEST_USAGE}`,
    );
  }
  if (identity !== undefined) {
    // Several identities: the same rotate, suspend or retire on each (a fan-out request).
    const ids = listFlag(args, 'identity') ?? [];
    return ids.length > 1 ? { identities: ids } : { identity };
  }
  const tags = listFlag(args, 'tags');
  return {
    new: {
      name: name!,
      kind: required(args, 'kind', REQUEST_USAGE) as never,
      system: required(args, 'system', REQUEST_USAGE),
      ...(tags === undefined ? {} : { tags }),
    },
  };
}

function contextOf(args: ParsedArgs): Record<string, JsonValue> {
  const context: Record<string, JsonValue> = {};
  const entitlements = listFlag(args, 'entitlements');
  if (entitlements !== undefined) context['entitlements'] = entitlements;
  const minutes = intFlag(args, 'duration', 1, 10_000_000);
  if (minutes !== undefined) context['durationMinutes'] = minutes;
  for (const [flag, key] of [
    ['control', 'control'],
    ['compensating-control', 'compensatingControl'],
  ] as const) {
    const value = args.flags[flag];
    if (value !== undefined) context[key] = value;
  }
  // Policies may read the justification too (e.g. "people explain privileged changes").
  const justification = args.flags['justification'];
  if (justification !== undefined) context['justification'] = justification;
  return context;
}

function fromFile(args: ParsedArgs, io: CliIo): Plain {
  const file = path.resolve(io.cwd, args.flags['file']!);
  let parsed: unknown;
  try {
    parsed = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new CustosError('INPUT_INVALID', `cannot read a request from ${args.flags['file']!}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CustosError(
      'INPUT_INVALID',
      `${args.flags['file']!} must hold one request (action, resource, context)`,
    );
  }
  // The service validates the shape (a `principal` other than the caller is refused there).
  return parsed as Plain;
}
