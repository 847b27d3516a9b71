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
 * Free text in the context (a request's justification) would make every request a shape of its own.
 * Where every policy reads a context attribute only as `context.a == ""` or `!= ""` (a guardrail that
 * a justification is given), a string value of it enters the key only as empty or not: Cedar
 * cannot tell two non-empty values apart there either. This holds when the policies never use
 * `context` other than to read or test named attributes (read from the same JSON forms); otherwise
 * the context enters the key as it is.
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
  /** Per bundle hash: what its policies and schema let a key leave out (null: one would not convert). */
  private readonly bundles = new Map<string, BundleFacts | null>();
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
    const facts = this.factsOf(bundle);
    if (facts === null || facts.literals.has(id)) return undefined;
    const entities = request.entities.map((e): EntityJson | null => {
      const uid = uidOf(e.uid);
      return uid.type === type && uid.id === id ? { ...e, uid: null as never } : e;
    });
    const { context, emptiness } = abstracted(request.context, facts.emptinessOnly);
    const shape = JSON.stringify([request.principal, request.action, type, context, entities]);
    const escaped = JSON.stringify(id).slice(1, -1);
    if (escaped === '' || shape.includes(escaped)) return undefined;
    return `${bundle.hash}\n${namespace}\n${emptiness}\n${shape}`;
  }

  private factsOf(bundle: PreparedPolicies): BundleFacts | null {
    let found = this.bundles.get(bundle.hash);
    if (found === undefined) {
      found = bundleFacts(bundle);
      this.bundles.set(bundle.hash, found);
    }
    return found;
  }
}

interface BundleFacts {
  /** Every string of the bundle's policies and schema (their JSON forms), keys included. */
  readonly literals: ReadonlySet<string>;
  /** Context attributes every policy reads only as `== ""` or `!= ""`. */
  readonly emptinessOnly: ReadonlySet<string>;
}

/**
 * What the bundle's policies (in Cedar's JSON form) and schema let a key leave out, or null if one
 * would not convert: unreachable for a bundle that loaded, and then no key is ever taken for it.
 */
function bundleFacts(bundle: PreparedPolicies): BundleFacts | null {
  const literals = new Set<string>();
  const reads = new ContextReads();
  for (const policy of bundle.policies) {
    const json = policyToJson(policy.text);
    if (json.type === 'failure') return null;
    collectStrings(json.json, literals);
    reads.visit(json.json);
  }
  const schema = schemaToJson(bundle.schemaText);
  if (schema.type === 'failure') return null;
  collectStrings(schema.json, literals);
  return { literals, emptinessOnly: reads.emptinessOnly() };
}

/** How policies use `context`: the attributes tested only for emptiness, unless it is used whole. */
class ContextReads {
  private readonly tested = new Set<string>();
  private readonly read = new Set<string>();
  private whole = false;

  visit(node: unknown): void {
    if (Array.isArray(node)) {
      for (const item of node) this.visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const e = node as Record<string, unknown>;
    for (const op of ['==', '!=']) {
      const operands = e[op] as { left?: unknown; right?: unknown } | undefined;
      const attr =
        operands === undefined
          ? undefined
          : (emptinessTest(operands.left, operands.right) ?? emptinessTest(operands.right, operands.left));
      if (attr !== undefined) {
        this.tested.add(attr);
        return;
      }
    }
    for (const op of ['.', 'has']) {
      const access = e[op] as { left?: unknown; attr?: unknown } | undefined;
      if (access !== undefined && isContext(access.left)) {
        // A presence test (`has`) is the same for every value; any other read may see the value.
        if (op === '.') this.read.add(String(access.attr));
        return;
      }
    }
    if (e['Var'] === 'context') this.whole = true;
    for (const value of Object.values(e)) this.visit(value);
  }

  emptinessOnly(): ReadonlySet<string> {
    if (this.whole) return new Set();
    return new Set([...this.tested].filter((a) => !this.read.has(a)));
  }
}

function isContext(node: unknown): boolean {
  return typeof node === 'object' && node !== null && (node as { Var?: unknown }).Var === 'context';
}

/** `attr` when `access` is `context.attr` and `literal` is the string "". */
function emptinessTest(access: unknown, literal: unknown): string | undefined {
  if (typeof access !== 'object' || access === null || typeof literal !== 'object' || literal === null) {
    return undefined;
  }
  const dot = (access as { '.'?: { left?: unknown; attr?: unknown } })['.'];
  const value = (literal as { Value?: unknown }).Value;
  return dot !== undefined && isContext(dot.left) && typeof dot.attr === 'string' && value === ''
    ? dot.attr
    : undefined;
}

/**
 * The context without its string attributes named in `emptinessOnly`, and those as whether each is
 * empty. A value of another type stays in the context (Cedar refuses it, and the key differs from
 * any string's).
 */
function abstracted(
  context: CedarRequest['context'],
  emptinessOnly: ReadonlySet<string>,
): { context: unknown; emptiness: string } {
  if (emptinessOnly.size === 0) return { context, emptiness: '' };
  const kept: Record<string, unknown> = {};
  let emptiness = '';
  for (const [key, value] of Object.entries(context)) {
    if (emptinessOnly.has(key) && typeof value === 'string') {
      emptiness += `${JSON.stringify(key)}:${value === '' ? 'empty' : 'text'};`;
    } else kept[key] = value;
  }
  return { context: kept, emptiness };
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
