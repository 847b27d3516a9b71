/** Input after validation may carry `undefined` members; the modules below take absent ones. */
export type Defined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

/** Drops members whose value is undefined (JSON never has them; direct callers might). */
export function compact<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}
