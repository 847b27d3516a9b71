/**
 * Where things live in a bundle directory:
 *   bundle.yaml            name, version label, author, Cedar namespace
 *   schema.cedarschema     the Cedar schema
 *   workflows/*.yaml       workflow definitions
 *   policies/*.cedar       Cedar policies
 *   tests/*.yaml           golden decision cases with their entity fixtures
 *   *.md (anywhere)        documentation: hashed with the bundle, otherwise ignored
 * Anything else is FILE_UNEXPECTED, so that a typo (`workflows/x.yml`) is never silently skipped.
 */
import type { BundleFile } from './bundle-hash.js';
import { MANIFEST_FILE } from './manifest.js';
import type { Problem } from './problems.js';
import { SCHEMA_FILE } from './cedar-schema.js';

export interface BundleLayout {
  readonly manifest: BundleFile | undefined;
  readonly schema: BundleFile | undefined;
  readonly workflows: readonly BundleFile[];
  readonly policies: readonly BundleFile[];
  readonly tests: readonly BundleFile[];
}

const PATTERNS: readonly (readonly [RegExp, keyof BundleLayout | 'docs'])[] = [
  [/^bundle\.yaml$/, 'manifest'],
  [/^schema\.cedarschema$/, 'schema'],
  [/^workflows\/[^/]+\.yaml$/, 'workflows'],
  [/^policies\/[^/]+\.cedar$/, 'policies'],
  [/^tests\/[^/]+\.yaml$/, 'tests'],
  [/\.md$/, 'docs'],
];

export function classifyFiles(files: readonly BundleFile[], problems: Problem[]): BundleLayout {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const groups = { workflows: [] as BundleFile[], policies: [] as BundleFile[], tests: [] as BundleFile[] };
  let manifest: BundleFile | undefined;
  let schema: BundleFile | undefined;
  for (const file of sorted) {
    const kind = PATTERNS.find(([re]) => re.test(file.path))?.[1];
    if (kind === 'manifest') manifest = file;
    else if (kind === 'schema') schema = file;
    else if (kind === 'workflows' || kind === 'policies' || kind === 'tests') groups[kind].push(file);
    else if (kind !== 'docs') {
      problems.push({
        file: file.path,
        line: 1,
        code: 'FILE_UNEXPECTED',
        message: `not part of the bundle layout (bundle.yaml, ${SCHEMA_FILE}, workflows/*.yaml, policies/*.cedar, tests/*.yaml, *.md)`,
      });
    }
  }
  const need = (present: boolean, file: string, what: string): void => {
    if (!present)
      problems.push({ file, line: 1, code: 'FILE_MISSING', message: `the bundle has no ${what}` });
  };
  need(manifest !== undefined, MANIFEST_FILE, 'manifest');
  need(schema !== undefined, SCHEMA_FILE, 'Cedar schema');
  need(groups.workflows.length > 0, 'workflows/', 'workflow (workflows/*.yaml)');
  need(groups.policies.length > 0, 'policies/', 'policy file (policies/*.cedar)');
  need(groups.tests.length > 0, 'tests/', 'golden decision cases (tests/*.yaml)');
  return { manifest, schema, ...groups };
}
