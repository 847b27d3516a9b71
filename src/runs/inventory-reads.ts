/**
 * The inventory as one call of the engine reads it: each principal, system and identity is read
 * from the store at most once per call (a decision, the plan of its steps and the alert of a pause
 * all need the same few entities). Lives only as long as that call, so a later call sees every
 * change; a run's write-back reads in its ledger transaction (`applyIdentitiesInTx`), never here.
 */
import type { Inventory } from '../inventory/index.js';

export function readOnce(inventory: Inventory): Inventory {
  const principals = new Map<string, ReturnType<Inventory['getPrincipal']>>();
  const systems = new Map<string, ReturnType<Inventory['getSystem']>>();
  const identities = new Map<string, ReturnType<Inventory['getIdentity']>>();
  const once = <T>(map: Map<string, Promise<T>>, id: string, read: () => Promise<T>): Promise<T> => {
    let found = map.get(id);
    if (found === undefined) {
      found = read();
      map.set(id, found);
      // A failed read is not remembered: the next caller tries again.
      found.catch(() => map.delete(id));
    }
    return found;
  };
  return {
    ...inventory,
    getPrincipal: (id) => once(principals, id, () => inventory.getPrincipal(id)),
    getSystem: (id) => once(systems, id, () => inventory.getSystem(id)),
    getIdentity: (id) => once(identities, id, () => inventory.getIdentity(id)),
  };
}
