/**
 * Cedar answers remembered by the shape of their request: the request with its resource's id left
 * out. Automation files many requests that differ only in the identity they concern (a pipeline that
 * creates a token per deployment, a rotation of each of a team's keys); each such request after the
 * first is answered without evaluating Cedar again, with exactly the answer Cedar would give.
 *
 * Why it is exact. Cedar cannot read an entity's id: an id matters only through comparisons of
 * entity uids (`==`, `in`, a scope constraint), with uids written in the policies or present in the
 * request (an entity's parents, an attribute, the context). So renaming the resource (T, a) to
 * (T, b) everywhere changes no decision, provided neither id appears in the policies or the schema
 * (where a literal, or an enumerated entity type, could single one out) and neither appears in the
 * request anywhere but as the resource (in the request and as its own entity). The key is taken only
 * when all of that holds: the id is not among the strings of the bundle's policies (read from
 * Cedar's own JSON form of each policy, so no escape can hide one) and schema, and the request with
 * the resource's uid left out does not contain the id anywhere, even inside a longer string.
 *
 * Only clean answers are remembered: a success with no evaluation error and no warning, whose
 * content is the decision and the ids of the determining policies, none of which names the resource.
 * An answer that carries a message (which could name it) is evaluated every time. The key includes
 * the bundle's hash and the namespace, so another bundle never shares an answer. The memory is bounded
 * (least recently used out first).
 */
import {
  policyToJson,
  schemaToJson,
  type AuthorizationAnswer,
  type EntityJson,
} from '@cedar-policy/cedar-wasm/nodejs';
import { uidOf, type CedarRequest, type PreparedPolicies } from './cedar-engine.js';
import type { CedarEvaluator } from './decide.js';

export interface CedarMemoOptions {
  /** Answers kept (default 4,096); the least recently used goes first. */
  readonly limit?: number;
}

export interface CedarMemoStats {
  /** Answers given from memory. */
  readonly hits: number;
  /** Requests handed to Cedar. */
  readonly evaluated: number;
  readonly size: number;
}

/** An evaluator that remembers `evaluate`'s clean answers by request shape (see the module's comment). */
export class CedarMemo {
  private readonly answers = new Map<string, AuthorizationAnswer>();
  /** Per bundle hash: every string of its policies and schema (null: one of them would not convert). */
  private readonly literals = new Map<string, ReadonlySet<string> | null>();
  private readonly limit: number;
  private hits = 0;
  private evaluated = 0;

  constructor(
    private readonly inner: CedarEvaluator,
    options: CedarMemoOptions = {},
  ) {
    this.limit = options.limit ?? 4096;
    if (!Number.isSafeInteger(this.limit) || this.limit < 1) {
      throw new RangeError(`CedarMemo limit must be a positive integer, got ${String(options.limit)}`);
    }
  }

  readonly evaluate: CedarEvaluator = async (bundle, namespace, request) => {
    const key = this.keyOf(bundle, namespace, request);
    const known = key === undefined ? undefined : this.answers.get(key);
    if (key !== undefined && known !== undefined) {
      this.hits++;
      // Most recently used last.
      this.answers.delete(key);
      this.answers.set(key, known);
      return known;
    }
    this.evaluated++;
    const answer = await this.inner(bundle, namespace, request);
    if (key !== undefined && isClean(answer)) this.remember(key, answer);
    return answer;
  };

  stats(): CedarMemoStats {
    return { hits: this.hits, evaluated: this.evaluated, size: this.answers.size };
  }

  private remember(key: string, answer: AuthorizationAnswer): void {
    this.answers.delete(key);
    this.answers.set(key, deepFreeze(answer));
    if (this.answers.size > this.limit) {
      const oldest = this.answers.keys().next();
      if (oldest.done !== true) this.answers.delete(oldest.value);
    }
  }

  /** The request's shape, or undefined when renaming its resource could change the answer. */
  private keyOf(bundle: PreparedPolicies, namespace: string, request: CedarRequest): string | undefined {
    const { type, id } = uidOf(request.resource);
    const literals = this.literalsOf(bundle);
    if (literals === null || literals.has(id)) return undefined;
    const entities = request.entities.map((e): EntityJson | null => {
      const uid = uidOf(e.uid);
      return uid.type === type && uid.id === id ? { ...e, uid: null as never } : e;
    });
    const shape = JSON.stringify([request.principal, request.action, type, request.context, entities]);
    const escaped = JSON.stringify(id).slice(1, -1);
    if (escaped === '' || shape.includes(escaped)) return undefined;
    return `${bundle.hash}\n${namespace}\n${shape}`;
  }

  private literalsOf(bundle: PreparedPolicies): ReadonlySet<string> | null {
    let found = this.literals.get(bundle.hash);
    if (found === undefined) {
      found = bundleStrings(bundle);
      this.literals.set(bundle.hash, found);
    }
    return found;
  }
}

/**
 * Every string of the bundle's policies (in Cedar's JSON form) and schema (likewise), or null if one
 * would not convert: unreachable for a bundle that loaded, and then no key is ever taken for it.
 */
function bundleStrings(bundle: PreparedPolicies): ReadonlySet<string> | null {
  const strings = new Set<string>();
  for (const policy of bundle.policies) {
    const json = policyToJson(policy.text);
    if (json.type === 'failure') return null;
    collectStrings(json.json, strings);
  }
  const schema = schemaToJson(bundle.schemaText);
  if (schema.type === 'failure') return null;
  collectStrings(schema.json, strings);
  return strings;
}

/** Every string in `value`, keys included. */
function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectStrings(v, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      collectStrings(v, into);
    }
  }
}

function isClean(answer: AuthorizationAnswer): boolean {
  return (
    answer.type === 'success' &&
    answer.response.diagnostics.errors.length === 0 &&
    answer.warnings.length === 0
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
