/**
 * A lexical guard run on every Cedar text (policies and schema) BEFORE it reaches the Cedar wasm
 * module. Bundle text is attacker-controlled when a bundle is uploaded, and the wasm parser
 * recurses without a limit: about 150 nested parentheses, or one expression of about 450 chained
 * operators, overflow its stack with "memory access out of bounds" -- after which every later
 * Cedar call in the process fails too. Real policies stay far below these limits.
 */
import type { Problem } from './problems.js';

/** Brackets ( [ { -- and < > in schemas -- nested deeper than this are refused. */
export const MAX_CEDAR_NESTING = 24;
/** Operators per policy (each can add a level to the expression tree) beyond this are refused. */
export const MAX_POLICY_OPERATORS = 200;

const OPERATOR_WORDS = new Set(['if', 'then', 'else', 'in', 'has', 'like', 'is']);
const TWO_CHAR_OPERATORS = new Set(['&&', '||', '==', '!=', '<=', '>=']);

/** Problems (at most one per kind) if `text` is too deeply nested or has too complex a policy. */
export function guardCedarText(file: string, text: string, kind: 'policies' | 'schema'): Problem[] {
  const problems: Problem[] = [];
  const report = (line: number, message: string): void => {
    if (!problems.some((p) => p.message === message)) {
      problems.push({ file, line, code: 'CEDAR_TOO_COMPLEX', message });
    }
  };
  const open = kind === 'schema' ? '([{<' : '([{';
  const close = kind === 'schema' ? ')]}>' : ')]}';
  let line = 1;
  let depth = 0;
  let operators = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') line++;
    else if (ch === '/' && text[i + 1] === '/') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '\n') line++;
      }
    } else if (open.includes(ch)) {
      if (++depth > MAX_CEDAR_NESTING) report(line, `nested deeper than ${MAX_CEDAR_NESTING} levels`);
    } else if (close.includes(ch)) {
      depth = Math.max(0, depth - 1);
    } else if (kind === 'policies') {
      if (ch === ';' && depth === 0) {
        operators = 0;
        continue;
      }
      const word = /[A-Za-z_]/.test(ch) ? /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 64))![0] : '';
      if (word !== '') i += word.length - 1;
      const two = text.slice(i, i + 2);
      if (TWO_CHAR_OPERATORS.has(two)) i++;
      if (OPERATOR_WORDS.has(word) || TWO_CHAR_OPERATORS.has(two) || '+-*!<>.'.includes(ch)) {
        if (++operators > MAX_POLICY_OPERATORS) {
          report(
            line,
            `a policy with more than ${MAX_POLICY_OPERATORS} operators: split it, or use sets (containsAny)`,
          );
        }
      }
    }
  }
  return problems;
}
