/**
 * YAML and JSON import. A file holds either `{principals, systems, identities}` (any of them) or a
 * bare list of entries of one kind. Lines come from the `yaml` parser's LineCounter — for JSON
 * too (JSON is YAML 1.2 flow syntax), while JSON values come from the strict JSON.parse. Parser
 * messages are never passed on: they quote the input, which may hold a secret.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { ENTRY_KINDS, SECTIONS, type EntryKind } from '../fields.js';
import type { Problem } from '../problems.js';
import type { Entry, Source } from './entries.js';

export function readTree(file: string, text: string, format: 'yaml' | 'json', kind?: EntryKind): Source {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? 1 : lineCounter.linePos(offset).line;
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (e) {
      // V8 names the offset ("… at position 12"); the rest of its message quotes the input.
      const position = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
      const offset = position === undefined ? doc.errors[0]?.pos[0] : Number(position);
      return fail(file, lineAt(offset), 'IMPORT_MALFORMED', 'not valid JSON');
    }
  } else {
    const error = doc.errors[0];
    if (error !== undefined)
      return fail(file, lineAt(error.pos[0]), 'YAML_INVALID', `not valid YAML (${error.code})`);
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch {
      return fail(file, 1, 'YAML_INVALID', 'not valid YAML (aliases)');
    }
  }
  return sections(file, value, doc, lineAt, kind);
}

function sections(
  file: string,
  value: unknown,
  doc: Document,
  lineAt: (offset: number | undefined) => number,
  kind: EntryKind | undefined,
): Source {
  const root = doc.errors.length === 0 ? doc.contents : null;
  if (Array.isArray(value)) {
    if (kind === undefined)
      return fail(
        file,
        1,
        'IMPORT_MALFORMED',
        'a list of entries needs its kind: use {principals, systems, identities}',
      );
    return { entries: list(kind, value, isSeq(root) ? root : null, lineAt), problems: [] };
  }
  if (typeof value !== 'object' || value === null) {
    return fail(
      file,
      1,
      'IMPORT_MALFORMED',
      'expected a mapping of principals, systems and identities, or a list',
    );
  }
  const problems: Problem[] = [];
  const entries: Entry[] = [];
  for (const [key, section] of Object.entries(value)) {
    const node = isMap(root) ? root.get(key, true) : undefined;
    const pair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
    const line = lineAt(isScalar(pair?.key) ? pair.key.range?.[0] : undefined);
    const sectionKind = ENTRY_KINDS.find((k) => SECTIONS[k] === key);
    if (sectionKind === undefined) {
      problems.push({
        file,
        row: line,
        field: key,
        code: 'UNKNOWN_FIELD',
        message: 'expected principals, systems or identities',
      });
    } else if (!Array.isArray(section)) {
      problems.push({ file, row: line, field: key, code: 'FIELD_INVALID', message: 'must be a list' });
    } else {
      entries.push(...list(sectionKind, section, isSeq(node) ? node : null, lineAt));
    }
  }
  return { entries, problems };
}

function list(
  kind: EntryKind,
  values: readonly unknown[],
  seq: { readonly items: readonly unknown[] } | null,
  lineAt: (offset: number | undefined) => number,
): Entry[] {
  return values.map((value, i) => {
    const node = seq?.items[i];
    const lines = new Map<string, number>();
    if (isNode(node)) walk(node, '', lines, lineAt);
    return { kind, value, line: isNode(node) ? lineAt(node.range?.[0]) : 1, lines };
  });
}

/** Records the line of every field path: a key's line for mappings, an item's for lists. */
function walk(
  node: Node,
  prefix: string,
  lines: Map<string, number>,
  lineAt: (o: number | undefined) => number,
): void {
  const join = (k: string | number) => (prefix === '' ? String(k) : `${prefix}.${k}`);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const path = join(String(pair.key.value));
      lines.set(path, lineAt(pair.key.range?.[0]));
      if (isNode(pair.value)) walk(pair.value, path, lines, lineAt);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (!isNode(item)) return;
      lines.set(join(i), lineAt(item.range?.[0]));
      walk(item, join(i), lines, lineAt);
    });
  }
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}

function fail(file: string, row: number, code: 'IMPORT_MALFORMED' | 'YAML_INVALID', message: string): Source {
  return { entries: [], problems: [{ file, row, field: '', code, message }] };
}
