/**
 * The ledger record envelope, version 1. A record's bytes are the RFC 8785 canonical JSON of
 * this envelope; its Merkle leaf hash is SHA-256(0x00 || bytes). Pure: validation only.
 */
import { CustosError } from '../core/errors.js';
import type { JsonValue } from '../core/canonical-json.js';

export const RECORD_VERSION = 1;

/** Who acted. `kind` is never ambiguous: a person, or a non-human principal (service, pipeline, agent, Custos itself). */
export interface Actor {
  readonly kind: 'human' | 'non_human';
  readonly id: string;
}

export interface Subject {
  readonly kind: string;
  readonly id: string;
}

/** A reference to an earlier record: its index and leaf hash (standard base64). */
export interface RecordRef {
  readonly index: number;
  readonly leafHash: string;
}

/** What a caller supplies; the sequencer adds v, index, time and prev. */
export interface RecordDraft {
  readonly type: string;
  readonly correlationId: string;
  readonly actor: Actor;
  readonly subject?: Subject;
  readonly controlId?: string;
  readonly bundleHash?: string;
  readonly payload: { readonly [k: string]: JsonValue };
  readonly refs?: readonly RecordRef[];
}

export interface LedgerRecord extends RecordDraft {
  readonly v: typeof RECORD_VERSION;
  readonly index: number;
  /** RFC 3339 UTC with milliseconds; non-decreasing along the log. */
  readonly time: string;
  /** Leaf hash of record index-1 (absent for index 0): lets a verifier name the first altered record. */
  readonly prev?: string;
  readonly refs: readonly RecordRef[];
}

const TYPE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const ID = /^[\x21-\x7e]{1,200}$/;
const B64_HASH = /^[A-Za-z0-9+/]{43}=$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const KIND = /^[a-z][a-z0-9_]{0,63}$/;
const ACTOR_KINDS: readonly string[] = ['human', 'non_human'];
const OPTIONAL_IDS = ['controlId', 'bundleHash'] as const;
const ENVELOPE_KEYS = new Set([
  'v',
  'index',
  'time',
  'prev',
  'type',
  'correlationId',
  'actor',
  'subject',
  'controlId',
  'bundleHash',
  'payload',
  'refs',
]);

function fail(code: 'RECORD_MALFORMED' | 'RECORD_REF_INVALID', message: string): never {
  throw new CustosError(code, message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkIdPair(value: unknown, what: string, kinds?: readonly string[]): void {
  if (!isObject(value) || Object.keys(value).length !== 2)
    fail('RECORD_MALFORMED', `${what} must be {kind, id}`);
  const { kind, id } = value;
  if (typeof kind !== 'string' || (kinds ? !kinds.includes(kind) : !KIND.test(kind))) {
    fail('RECORD_MALFORMED', `${what}.kind is invalid`);
  }
  if (typeof id !== 'string' || !ID.test(id)) fail('RECORD_MALFORMED', `${what}.id is invalid`);
}

/** Validates the caller-supplied part of a record. Throws RECORD_MALFORMED / RECORD_REF_INVALID. */
export function validateDraft(draft: RecordDraft): void {
  if (typeof draft.type !== 'string' || !TYPE.test(draft.type))
    fail('RECORD_MALFORMED', 'type must be dotted lowercase');
  if (typeof draft.correlationId !== 'string' || !ID.test(draft.correlationId)) {
    fail('RECORD_MALFORMED', 'correlationId is invalid');
  }
  checkIdPair(draft.actor, 'actor', ACTOR_KINDS);
  if (draft.subject !== undefined) checkIdPair(draft.subject, 'subject');
  for (const key of OPTIONAL_IDS) {
    const value = draft[key];
    if (value !== undefined && (typeof value !== 'string' || !ID.test(value)))
      fail('RECORD_MALFORMED', `${key} is invalid`);
  }
  if (!isObject(draft.payload)) fail('RECORD_MALFORMED', 'payload must be an object');
  for (const ref of draft.refs ?? []) {
    if (!isObject(ref) || !Number.isSafeInteger(ref.index) || ref.index < 0 || !B64_HASH.test(ref.leafHash)) {
      fail('RECORD_REF_INVALID', 'a ref must be {index, leafHash}');
    }
  }
}

/** Validates a parsed record envelope read from storage or an export (attacker-controlled). */
export function validateRecord(value: unknown): LedgerRecord {
  if (!isObject(value)) fail('RECORD_MALFORMED', 'a record must be an object');
  for (const key of Object.keys(value))
    if (!ENVELOPE_KEYS.has(key)) fail('RECORD_MALFORMED', `unknown field ${key}`);
  if (value['v'] !== RECORD_VERSION) fail('RECORD_MALFORMED', 'unsupported record version');
  const index = value['index'];
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0)
    fail('RECORD_MALFORMED', 'bad index');
  if (typeof value['time'] !== 'string' || !TIME.test(value['time'])) fail('RECORD_MALFORMED', 'bad time');
  const prev = value['prev'];
  if (index === 0 ? prev !== undefined : typeof prev !== 'string' || !B64_HASH.test(prev)) {
    fail('RECORD_MALFORMED', 'bad prev');
  }
  if (!Array.isArray(value['refs'])) fail('RECORD_MALFORMED', 'refs must be an array');
  const record = value as unknown as LedgerRecord;
  validateDraft(record);
  for (const ref of record.refs)
    if (ref.index >= index) fail('RECORD_REF_INVALID', 'a ref must point backwards');
  return record;
}
