import { describe, expect, it } from 'vitest';
import { canonicalize, parseCanonical } from './canonical-json.js';
import { isCustosError } from './errors.js';

describe('RFC 8785 canonical JSON', () => {
  it('sorts members by UTF-16 code units and strips whitespace (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const out = canonicalize(input);
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) =>
      out.indexOf(JSON.stringify(k) + ':'),
    );
    expect(order.every((pos, i) => pos >= 0 && (i === 0 || pos > order[i - 1]!))).toBe(true);
  });

  it('serialises numbers as ECMAScript does (RFC 8785 appendix B samples)', () => {
    const samples: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [1e21, '1e+21'],
      [1e-7, '1e-7'],
      [333333333.3333333, '333333333.3333333'],
      [9007199254740991, '9007199254740991'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
    ];
    for (const [n, s] of samples) expect(canonicalize(n)).toBe(s);
  });

  it('matches the RFC 8785 §3.2.2 example output', () => {
    const value = {
      // The RFC's own input literal: it is meant to be rounded.
      // eslint-disable-next-line no-loss-of-precision
      numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
      string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
      literals: [null, true, false],
    };
    expect(canonicalize(value)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('rejects values that are not I-JSON', () => {
    for (const bad of [NaN, Infinity, 1n, '\ud800', { a: new Date(0) }, () => 1]) {
      expect(() => canonicalize(bad)).toThrow(expect.objectContaining({ code: 'CANONICAL_JSON_INVALID' }));
    }
  });

  it('parseCanonical rejects every non-canonical spelling', () => {
    for (const text of [
      '{"b":1,"a":2}',
      '{ "a":1}',
      '{"a":1,"a":2}',
      '{"a":1.0}',
      '{"a":"\\u0041"}',
      '[1,]',
    ]) {
      try {
        parseCanonical(text);
        expect.unreachable(text);
      } catch (e) {
        expect(isCustosError(e, 'RECORD_NONCANONICAL') || isCustosError(e, 'RECORD_MALFORMED')).toBe(true);
      }
    }
    expect(parseCanonical('{"a":[1,"x",null]}')).toEqual({ a: [1, 'x', null] });
  });
});
