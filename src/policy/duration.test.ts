import { describe, expect, it } from 'vitest';
import { durationSeconds } from './duration.js';

describe('durationSeconds', () => {
  it('reads weeks, days, hours, minutes and seconds', () => {
    expect(durationSeconds('PT4H')).toBe(4 * 3600);
    expect(durationSeconds('P2D')).toBe(2 * 86400);
    expect(durationSeconds('P1DT12H30M5S')).toBe(86400 + 12 * 3600 + 30 * 60 + 5);
    expect(durationSeconds('P2W')).toBe(14 * 86400);
  });

  it('refuses years, months, fractions, empty and zero durations', () => {
    for (const bad of ['P1Y', 'P1M', 'PT1.5H', 'P', 'PT', 'P0D', '4h', '', 'P1DT', 'p1d']) {
      expect(durationSeconds(bad), bad).toBeUndefined();
    }
  });
});
