/**
 * The shape of an inventory entry per kind, shared by the validators (unknown fields) and the CSV
 * reader (which columns exist, which cells are ';'-separated lists).
 */

export const ENTRY_KINDS = ['principal', 'system', 'identity'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** The section of a combined YAML/JSON file holding each kind. */
export const SECTIONS: Readonly<Record<EntryKind, string>> = {
  principal: 'principals',
  system: 'systems',
  identity: 'identities',
};

export interface EntryShape {
  readonly scalars: readonly string[];
  /** Lists of strings (';'-separated in CSV). */
  readonly lists: readonly string[];
  /** Maps with free keys and scalar values (`connection.host`, `tags.team`). */
  readonly maps: readonly string[];
  /** Objects with fixed keys (`owners.business`). */
  readonly objects: Readonly<Record<string, readonly string[]>>;
  /** Lists of objects with fixed keys (`credentials.0.fingerprint`). */
  readonly records: Readonly<Record<string, readonly string[]>>;
}

export const SHAPES: Readonly<Record<EntryKind, EntryShape>> = {
  principal: {
    scalars: ['id', 'displayName', 'email'],
    lists: ['roles', 'groups'],
    maps: [],
    objects: {},
    records: {},
  },
  system: {
    scalars: ['id', 'type', 'environment', 'owner'],
    lists: [],
    maps: ['connection'],
    objects: {},
    records: {},
  },
  identity: {
    scalars: ['id', 'kind', 'system', 'externalId', 'state', 'riskTier'],
    lists: ['entitlements'],
    maps: ['tags'],
    objects: { owners: ['business', 'policy', 'platform'] },
    records: { credentials: ['fingerprint', 'issuedAt', 'expiresAt'] },
  },
};

export function topLevelFields(shape: EntryShape): string[] {
  return [
    ...shape.scalars,
    ...shape.lists,
    ...shape.maps,
    ...Object.keys(shape.objects),
    ...Object.keys(shape.records),
  ];
}

/** Whether a dotted CSV column names a field of this kind. */
export function isKnownColumn(shape: EntryShape, column: string): boolean {
  const [head = '', ...rest] = column.split('.');
  if (rest.length === 0) return shape.scalars.includes(head) || shape.lists.includes(head);
  if (shape.maps.includes(head)) return rest.length === 1 && /^[A-Za-z0-9][\w/-]*$/.test(rest[0]!);
  const keys = shape.objects[head];
  if (keys !== undefined) return rest.length === 1 && keys.includes(rest[0]!);
  const recordKeys = shape.records[head];
  return (
    rest.length === 2 &&
    recordKeys !== undefined &&
    /^\d{1,3}$/.test(rest[0]!) &&
    recordKeys.includes(rest[1]!)
  );
}
