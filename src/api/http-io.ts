/**
 * Reading a request body and writing answers. The body is attacker-controlled: its size is capped
 * before and while it is read (413), it must be declared JSON (415), strict UTF-8 and JSON no
 * deeper than MAX_DEPTH (400) — so nothing downstream recurses on a hostile shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CustosError } from '../core/errors.js';
import type { Problem } from './problem.js';

export const MAX_DEPTH = 32;

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The JSON value of a body (undefined when empty). */
export function parseJsonBody(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new CustosError('MEDIA_TYPE_UNSUPPORTED', 'a request body is application/json');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new CustosError('INPUT_INVALID', 'the body is not UTF-8', { details: { field: 'body' } });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CustosError('INPUT_INVALID', 'the body is not JSON', { details: { field: 'body' } });
  }
  if (depthExceeds(value, MAX_DEPTH)) {
    throw new CustosError('INPUT_INVALID', `the body nests deeper than ${MAX_DEPTH}`, {
      details: { field: 'body' },
    });
  }
  return value;
}

/** Iterative, so that the check itself cannot overflow the stack. */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): number {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
  return Buffer.byteLength(text);
}

export function sendProblem(
  res: ServerResponse,
  problem: Problem,
  headers: Record<string, string> = {},
): number {
  const text = JSON.stringify(problem);
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
  return Buffer.byteLength(text);
}

export function sendText(res: ServerResponse, status: number, text: string, type: string): number {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
  return Buffer.byteLength(text);
}

function tooLarge(limit: number): CustosError {
  return new CustosError('BODY_TOO_LARGE', `a request body is at most ${limit} bytes`, {
    details: { limit },
  });
}
