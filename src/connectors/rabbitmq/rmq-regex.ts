/**
 * Permission patterns: RabbitMQ grants configure, write and read on the resources (queues,
 * exchanges) whose names match a regular expression, evaluated by the broker (Erlang `re`, PCRE).
 * They come from requests (attacker-controlled) and run on the target, so only a small subset is
 * accepted, one whose meaning is the same in PCRE and in JavaScript and which cannot backtrack
 * catastrophically:
 *
 *   literals       letters, digits and _ - : / @ # ~ =
 *   escapes        \ before one of . ^ $ | ( ) [ ] { } * + ? \ - /   (a literal character)
 *   any character  .
 *   classes        [abc] [a-z0-9_] [^.]   (the same literals and escapes, ranges of letters or digits)
 *   anchors        ^ $        alternation |        groups ( … ) at most 4 deep
 *   quantifiers    * + ? after a literal, escape, dot or class — never after a group or another
 *                  quantifier (no nested repetition, no lazy or possessive forms), no {n,m}
 *
 * No lookaround, backreferences, named groups, flags or character-type escapes (\d, \w, …).
 * At most 128 characters. The empty pattern is allowed: RabbitMQ reads it as "no resource".
 */

export const MAX_PATTERN_LENGTH = 128;

const LITERAL = /[A-Za-z0-9_\-:/@#~=]/;
const ESCAPABLE = new Set(Array.from('.^$|()[]{}*+?\\-/'));

/** Undefined when `pattern` is in the accepted subset; otherwise why not (never echoing it). */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  let depth = 0;
  let quantifiable = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (!ESCAPABLE.has(pattern[i + 1] ?? '')) return `unsupported escape at position ${i + 1}`;
      i++;
      quantifiable = true;
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end === undefined) return `malformed or unsupported character class at position ${i + 1}`;
      i = end;
      quantifiable = true;
    } else if (c === '(') {
      if (pattern[i + 1] === '?') return `unsupported group syntax at position ${i + 1}`;
      if (++depth > 4) return 'groups nested more than 4 deep';
      quantifiable = false;
    } else if (c === ')') {
      if (--depth < 0) return `unbalanced ")" at position ${i + 1}`;
      if (/^[*+?{]$/.test(pattern[i + 1] ?? '')) return `a repeated group at position ${i + 1}`;
      quantifiable = false;
    } else if ('*+?'.includes(c)) {
      if (!quantifiable) return `a quantifier with nothing to repeat at position ${i + 1}`;
      quantifiable = false;
    } else if (c === '|' || c === '^' || c === '$') {
      quantifiable = false;
    } else if (c === '.' || LITERAL.test(c)) {
      quantifiable = true;
    } else {
      return `unsupported character at position ${i + 1}`;
    }
  }
  if (depth !== 0) return 'unbalanced "("';
  try {
    new RegExp(pattern);
  } catch {
    return 'not a valid regular expression';
  }
  return undefined;
}

/** The index of the `]` closing the class opened at `start`, or undefined if it is not accepted. */
function classEnd(pattern: string, start: number): number | undefined {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  let items = 0;
  for (; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === ']') return items > 0 ? i : undefined;
    if (c === '\\') {
      if (!ESCAPABLE.has(pattern[i + 1] ?? '')) return undefined;
      i++;
    } else if (c === '-' && items > 0 && pattern[i + 1] !== ']') {
      const from = pattern[i - 1] ?? '';
      const to = pattern[i + 1] ?? '';
      if (!sameKindRange(from, to)) return undefined;
      i++;
    } else if (c !== '.' && !LITERAL.test(c)) {
      return undefined;
    }
    items++;
  }
  return undefined;
}

/** `a-z`, `A-Z`, `0-9` and their sub-ranges, in order. */
function sameKindRange(from: string, to: string): boolean {
  const kinds = [/^[a-z]$/, /^[A-Z]$/, /^[0-9]$/];
  return kinds.some((k) => k.test(from) && k.test(to)) && from <= to;
}
