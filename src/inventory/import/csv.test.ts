import fc from 'fast-check';
import { expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv } from './csv.js';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

it('reads RFC 4180 records: quoted fields, doubled quotes, embedded breaks, CRLF', () => {
  expect(fields('a,b,c\r\n1,"x, y","say ""hi"""\r\n')).toEqual([
    ['a', 'b', 'c'],
    ['1', 'x, y', 'say "hi"'],
  ]);
  expect(parseCsv('h\n"two\r\nlines"\nnext')).toEqual([
    { line: 1, fields: ['h'] },
    { line: 2, fields: ['two\r\nlines'] },
    { line: 4, fields: ['next'] },
  ]);
  expect(fields('a,\n,b')).toEqual([
    ['a', ''],
    ['', 'b'],
  ]);
  expect(fields('""')).toEqual([['']]);
  expect(fields('')).toEqual([]);
  expect(fields('a\rb')).toEqual([['a'], ['b']]);
  expect(fields('x\n\ny\n')).toEqual([['x'], [''], ['y']]);
});

it('refuses malformed quoting with the line, never the text', () => {
  const cases: [string, number][] = [
    ['a\n"open,b\nc', 2],
    ['a\nab"c', 2],
    ['"a"b', 1],
    ['x\n"q"\n"ok\nstill"x', 4],
  ];
  for (const [text, line] of cases) {
    let error: unknown;
    try {
      parseCsv(text);
    } catch (e) {
      error = e;
    }
    expect(error, text).toBeInstanceOf(CsvSyntaxError);
    expect((error as CsvSyntaxError).line, text).toBe(line);
  }
});

it('round-trips any table written the RFC 4180 way', () => {
  const cell = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', ' ', 'é') });
  const table = fc
    .integer({ min: 1, max: 4 })
    .chain((width) =>
      fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 5 }),
    );
  fc.assert(
    fc.property(table, (rows) => {
      const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
      const text = rows.map((r) => r.map(quote).join(',')).join('\r\n');
      expect(fields(text)).toEqual(rows);
    }),
  );
});
