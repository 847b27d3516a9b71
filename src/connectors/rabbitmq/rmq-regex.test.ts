import { describe, expect, it } from 'vitest';
import { MAX_PATTERN_LENGTH, patternProblem } from './rmq-regex.js';

describe('permission patterns', () => {
  it.each([
    '',
    '^$',
    '.*',
    '^orders\\.',
    '^(orders|billing)\\.[a-z0-9_-]+$',
    '^amq\\.gen-.*',
    '^(q\\.|amq\\.default$)',
    '[^.]+\\.events',
    'a?b+c*',
    `^${'a'.repeat(MAX_PATTERN_LENGTH - 1)}`,
  ])('accepts %j', (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
    expect(() => new RegExp(pattern)).not.toThrow();
  });

  it.each([
    ['(a+)+$', 'a repeated group'],
    ['(a|aa)*', 'a repeated group'],
    ['a**', 'nothing to repeat'],
    ['a*?', 'nothing to repeat'],
    ['*a', 'nothing to repeat'],
    ['a{2,}', 'unsupported character'],
    ['(?=a)', 'unsupported group'],
    ['(?<n>a)', 'unsupported group'],
    ['(a)\\1', 'unsupported escape'],
    ['\\d', 'unsupported escape'],
    ['\\', 'unsupported escape'],
    ['[a', 'character class'],
    ['[]', 'character class'],
    ['[z-a]', 'character class'],
    ['[a-9]', 'character class'],
    ['[\\w]', 'character class'],
    ['(a', 'unbalanced'],
    ['a)', 'unbalanced'],
    ['((((((a))))))', 'nested'],
    ['a b', 'unsupported character'],
    ['ä', 'unsupported character'],
    ['a'.repeat(MAX_PATTERN_LENGTH + 1), 'longer than'],
  ])('refuses %j (%s)', (pattern, why) => {
    expect(patternProblem(pattern)).toContain(why);
  });

  it('never repeats the pattern in its answer', () => {
    expect(patternProblem('(secret+)+')).not.toContain('secret');
  });
});
