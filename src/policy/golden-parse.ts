/**
 * Read golden decision files and check that every case refers only to entities its file declares
 * (GOLDEN_UNKNOWN_ENTITY at the referring line): a case against an unknown principal would
 * silently test "deny" for the wrong reason. A suite with such problems is still returned (its
 * fixtures inform route lint), but the bundle as a whole is refused.
 */
import type { EntityFixtures } from './entities.js';
import { GoldenFileSchema, type GoldenExpect, type GoldenRequest } from './golden-schema.js';
import type { Problem } from './problems.js';
import { parseYaml, zodProblems, type YamlPath, type YamlSource } from './yaml-source.js';

export interface GoldenCase {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly request: GoldenRequest;
  readonly expect: GoldenExpect;
}

export interface GoldenSuite {
  readonly file: string;
  readonly fixtures: EntityFixtures;
  readonly cases: readonly GoldenCase[];
  /** Line of the `entities:` block (where fixture problems found by the schema are reported). */
  readonly entitiesLine: number;
}

export function parseGoldenFile(
  file: string,
  bytes: Uint8Array,
  problems: Problem[],
): GoldenSuite | undefined {
  const source = parseYaml(file, bytes, problems);
  if (!source) return undefined;
  const result = GoldenFileSchema.safeParse(source.value);
  if (!result.success) {
    problems.push(...zodProblems(source, result.error, () => 'GOLDEN_INVALID'));
    return undefined;
  }
  const { entities = {}, cases } = result.data;
  const fixtures: EntityFixtures = entities;
  const unknown = (path: YamlPath, what: string): void => {
    problems.push({ file, line: source.lineOf(path), code: 'GOLDEN_UNKNOWN_ENTITY', message: what });
  };
  const principals = uniqueIds(source, ['entities', 'principals'], entities.principals ?? [], problems);
  const systems = uniqueIds(source, ['entities', 'systems'], entities.systems ?? [], problems);
  const identities = uniqueIds(source, ['entities', 'identities'], entities.identities ?? [], problems);
  (entities.identities ?? []).forEach((identity, i) => {
    if (!systems.has(identity.system)) {
      unknown(
        ['entities', 'identities', i, 'system'],
        `identity ${identity.id}: unknown system ${identity.system}`,
      );
    }
  });
  const names = new Set<string>();
  const parsed: GoldenCase[] = cases.map((c, i) => {
    const at: YamlPath = ['cases', i];
    if (names.has(c.name)) {
      problems.push({
        file,
        line: source.lineOf([...at, 'name']),
        code: 'GOLDEN_INVALID',
        message: `case "${c.name}" appears twice`,
      });
    }
    names.add(c.name);
    const { principal, resource } = c.request;
    if (!principals.has(principal))
      unknown([...at, 'request', 'principal'], `case "${c.name}": unknown principal ${principal}`);
    if ('identity' in resource && !identities.has(resource.identity)) {
      unknown(
        [...at, 'request', 'resource', 'identity'],
        `case "${c.name}": unknown identity ${resource.identity}`,
      );
    }
    if ('new' in resource && !systems.has(resource.new.system)) {
      unknown(
        [...at, 'request', 'resource', 'new', 'system'],
        `case "${c.name}": unknown system ${resource.new.system}`,
      );
    }
    return {
      name: c.name,
      file,
      line: source.lineOf(at),
      request: c.request,
      expect: c.expect,
    };
  });
  return { file, fixtures, cases: parsed, entitiesLine: source.lineOf(['entities']) };
}

function uniqueIds(
  source: YamlSource,
  path: YamlPath,
  list: readonly { readonly id: string }[],
  problems: Problem[],
): Map<string, number> {
  const ids = new Map<string, number>();
  list.forEach(({ id }, i) => {
    if (ids.has(id)) {
      problems.push({
        file: source.file,
        line: source.lineOf([...path, i]),
        code: 'GOLDEN_INVALID',
        message: `entity ${id} declared twice`,
      });
    }
    ids.set(id, i);
  });
  return ids;
}
