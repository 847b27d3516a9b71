import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Problem } from './problems.js';
import { parseYaml, zodProblems } from './yaml-source.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('parseYaml', () => {
  it('maps paths to lines: keys, nested keys, sequence items', () => {
    const source = parseYaml('f.yaml', bytes('a: 1\nb:\n  c: 2\n  d:\n    - x\n    - y\n'), [])!;
    expect(source.lineOf(['a'])).toBe(1);
    expect(source.lineOf(['b', 'c'])).toBe(3);
    expect(source.lineOf(['b', 'd', 1])).toBe(6);
    expect(source.lineOf(['b', 'missing'])).toBe(2);
    expect(source.has(['b', 'd', 0])).toBe(true);
    expect(source.has(['b', 'nope'])).toBe(false);
  });

  it('reports syntax errors, duplicate keys, bad aliases and bad UTF-8 as YAML_INVALID', () => {
    for (const [text, line] of [
      ['a: 1\nb: [1, 2\nc: 3\n', 3],
      ['a: 1\na: 2\n', 2],
      ['a: *nowhere\n', 1],
    ] as const) {
      const problems: Problem[] = [];
      expect(parseYaml('f.yaml', bytes(text), problems)).toBeUndefined();
      expect(problems[0]).toMatchObject({ file: 'f.yaml', code: 'YAML_INVALID', line });
    }
    const problems: Problem[] = [];
    expect(parseYaml('f.yaml', Uint8Array.from([0x61, 0x3a, 0x20, 0xff]), problems)).toBeUndefined();
    expect(problems[0]?.code).toBe('YAML_INVALID');
  });

  it('turns zod issues into problems at their line', () => {
    const source = parseYaml('f.yaml', bytes('name: x\nnested:\n  count: nine\n  extra: 1\n'), [])!;
    const schema = z.strictObject({
      name: z.string(),
      nested: z.strictObject({ count: z.number() }),
      must: z.string(),
    });
    const result = schema.safeParse(source.value);
    expect(result.success).toBe(false);
    const problems = zodProblems(source, result.error!, () => 'WORKFLOW_INVALID');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 3, code: 'WORKFLOW_INVALID' }),
        expect.objectContaining({ line: 4, code: 'UNKNOWN_FIELD', message: 'unknown field "nested.extra"' }),
        expect.objectContaining({ line: 1, code: 'WORKFLOW_INVALID', message: 'must is required' }),
      ]),
    );
  });
});
