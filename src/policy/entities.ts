/**
 * Plain objects -> Cedar entities (JSON entity format). Principal ids are typed strings
 * (`person:alice`, `service:ci-pipeline`, `group:dba`); systems and identities are named.
 * Entity types live in the bundle's Cedar namespace (Custos by default):
 *   Person in [Group], Service in [Group], Group, System {type, environment},
 *   Identity in [System] {kind, systemType, environment, entitlements, tags}.
 * An identity's system is its parent (`resource in Custos::System::"pg-prod"`); its type and
 * environment are copied onto it, so policies read them without another entity lookup.
 */
import type { CedarValueJson, EntityJson, TypeAndId } from '@cedar-policy/cedar-wasm/nodejs';
import { CustosError } from '../core/errors.js';
import type { IdentityKind, SystemType } from './vocabulary.js';

export interface PrincipalFixture {
  /** `person:<n>` or `service:<n>`. */
  readonly id: string;
  readonly groups?: readonly string[] | undefined;
  readonly attrs?: Readonly<Record<string, CedarValueJson>> | undefined;
}

export interface SystemFixture {
  readonly id: string;
  readonly type: SystemType;
  readonly environment: string;
  readonly attrs?: Readonly<Record<string, CedarValueJson>> | undefined;
}

export interface IdentityFixture {
  readonly id: string;
  readonly kind: IdentityKind;
  /** The id of the system it lives on. */
  readonly system: string;
  readonly entitlements?: readonly string[] | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly attrs?: Readonly<Record<string, CedarValueJson>> | undefined;
}

/** A new identity that a `create` request describes (it has no inventory entry yet). */
export type NewIdentity = Omit<IdentityFixture, 'id'> & { readonly name: string };

export interface EntityFixtures {
  readonly principals?: readonly PrincipalFixture[] | undefined;
  readonly systems?: readonly SystemFixture[] | undefined;
  readonly identities?: readonly IdentityFixture[] | undefined;
}

const PRINCIPAL_TYPES: Readonly<Record<string, string>> = {
  person: 'Person',
  service: 'Service',
  group: 'Group',
};

/** The Cedar uid of a typed principal id; TypeError if the id is not `person:|service:|group:`. */
export function principalUid(id: string, namespace = 'Custos'): TypeAndId {
  const colon = id.indexOf(':');
  const type = PRINCIPAL_TYPES[id.slice(0, colon)];
  if (colon <= 0 || type === undefined) throw new TypeError(`not a principal id: ${id}`);
  return { type: `${namespace}::${type}`, id: id.slice(colon + 1) };
}

export function identityUid(id: string, namespace = 'Custos'): TypeAndId {
  return { type: `${namespace}::Identity`, id };
}

export function systemUid(id: string, namespace = 'Custos'): TypeAndId {
  return { type: `${namespace}::System`, id };
}

/** The uid a new identity gets during its `create` decision (never clashes with inventory ids). */
export function newIdentityId(identity: NewIdentity): string {
  return `new:${identity.system}/${identity.name}`;
}

/** Cedar entities for the fixtures; groups named in memberships are created as needed. */
export function buildEntities(fixtures: EntityFixtures, namespace = 'Custos'): EntityJson[] {
  const out: EntityJson[] = [];
  const groups = new Set<string>();
  const systems = new Map((fixtures.systems ?? []).map((s) => [s.id, s]));
  for (const p of fixtures.principals ?? []) {
    for (const g of p.groups ?? []) groups.add(g);
    out.push({
      uid: principalUid(p.id, namespace),
      attrs: { ...p.attrs },
      parents: (p.groups ?? []).map((g) => principalUid(g, namespace)),
    });
  }
  for (const g of [...groups].sort()) out.push({ uid: principalUid(g, namespace), attrs: {}, parents: [] });
  for (const s of systems.values()) {
    out.push({
      uid: systemUid(s.id, namespace),
      attrs: { ...s.attrs, type: s.type, environment: s.environment },
      parents: [],
    });
  }
  for (const i of fixtures.identities ?? []) out.push(identityEntity(i, systems.get(i.system), namespace));
  return out;
}

/** The Cedar entity of one identity, given the system it lives on. */
export function identityEntity(
  identity: IdentityFixture,
  system: SystemFixture | undefined,
  namespace = 'Custos',
): EntityJson {
  if (!system) {
    throw new CustosError('INPUT_INVALID', `identity ${identity.id}: unknown system ${identity.system}`);
  }
  return {
    uid: identityUid(identity.id, namespace),
    attrs: {
      ...identity.attrs,
      kind: identity.kind,
      systemType: system.type,
      environment: system.environment,
      entitlements: [...(identity.entitlements ?? [])],
      tags: [...(identity.tags ?? [])],
    },
    parents: [systemUid(system.id, namespace)],
  };
}
