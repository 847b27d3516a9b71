/**
 * Who an alert reaches: the people and groups among the candidates (a service cannot read an alert;
 * its owners do), each once, in order; the operators' group when nobody is left, so an alert is
 * never dropped nor refused for want of a recipient.
 */
export const OPERATORS = 'group:custos-operators';

export function notifyList(candidates: readonly (string | undefined)[]): string[] {
  const people = candidates.filter(
    (id): id is string => id !== undefined && (id.startsWith('person:') || id.startsWith('group:')),
  );
  return people.length === 0 ? [OPERATORS] : [...new Set(people)];
}
