/**
 * ISO-8601 durations as workflows use them: weeks, days, hours, minutes, seconds
 * (`PT4H`, `P2D`, `P1DT12H`, `P2W`). Years and months are refused: their length varies, and an
 * approval expiry or exception limit must mean the same span every time.
 */
const DURATION = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/;

/** Seconds in the duration, or undefined if it is not one this module accepts. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, w, d, h, min, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  const seconds = (w ?? 0) * 604800 + (d ?? 0) * 86400 + (h ?? 0) * 3600 + (min ?? 0) * 60 + (s ?? 0);
  return seconds > 0 ? seconds : undefined;
}

export const DURATION_HINT =
  'must be a positive ISO-8601 duration in weeks, days, hours, minutes or seconds (PT4H, P2D)';
