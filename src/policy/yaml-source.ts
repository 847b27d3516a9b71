/**
 * YAML files of a bundle (attacker-controlled when a bundle is uploaded): parsed with line
 * positions kept, so every later problem, including zod schema issues, points at a line.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { Problem, ProblemCode } from './problems.js';

export type YamlPath = readonly PropertyKey[];

export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** 1-based line of the deepest node along `path` that exists (the key's line for map entries). */
  lineOf(path: YamlPath): number;
  /** Whether every segment of `path` exists. */
  has(path: YamlPath): boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parse one YAML file; on any syntax problem push YAML_INVALID problems and return undefined. */
export function parseYaml(file: string, bytes: Uint8Array, problems: Problem[]): YamlSource | undefined {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    problems.push({ file, line: 1, code: 'YAML_INVALID', message: 'file is not valid UTF-8' });
    return undefined;
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number): number => counter.linePos(offset).line;
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push({ file, line: lineAt(e.pos[0]), code: 'YAML_INVALID', message: firstLine(e.message) });
    }
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    problems.push({ file, line: 1, code: 'YAML_INVALID', message: firstLine(String(err)) });
    return undefined;
  }
  return {
    file,
    value,
    lineOf: (path) => lineAt(locate(doc, path).offset),
    has: (path) => locate(doc, path).found,
  };
}

function locate(doc: Document, path: YamlPath): { offset: number; found: boolean } {
  let node: Node | null | undefined = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) return { offset, found: false };
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment] as Node;
      offset = node.range?.[0] ?? offset;
    } else {
      return { offset, found: false };
    }
  }
  return { offset, found: true };
}

/**
 * Turn zod issues into problems at the right line. Unknown keys become one UNKNOWN_FIELD per key
 * at the key's line; other issues get the code `classify` chooses (by path and whether the value
 * is missing).
 */
export function zodProblems(
  source: YamlSource,
  error: z.ZodError,
  classify: (path: YamlPath, missing: boolean) => ProblemCode,
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({
          file: source.file,
          line: source.lineOf(path),
          code: 'UNKNOWN_FIELD',
          message: `unknown field "${dotted(path)}"`,
        });
      }
      continue;
    }
    const missing = !source.has(issue.path);
    const where = issue.path.length > 0 ? dotted(issue.path) : '(document)';
    problems.push({
      file: source.file,
      line: source.lineOf(issue.path),
      code: classify(issue.path, missing),
      message: missing ? `${where} is required` : `${where}: ${issue.message}`,
    });
  }
  return problems;
}

export function dotted(path: YamlPath): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
