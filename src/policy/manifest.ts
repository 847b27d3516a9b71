/** bundle.yaml: the bundle's name, version label, author and Cedar namespace. */
import { z } from 'zod';
import type { Problem } from './problems.js';
import { NAME, PRINCIPAL_ID } from './vocabulary.js';
import { parseYaml, zodProblems } from './yaml-source.js';

export const MANIFEST_FILE = 'bundle.yaml';

export const ManifestSchema = z.strictObject({
  name: z.string().regex(NAME, 'must be a name: letters, digits, ".", "_" or "-"'),
  /** A human label such as `2025.11-1`; the content hash, not this label, identifies a version. */
  version: z.string().trim().min(1).max(64),
  author: z.string().regex(PRINCIPAL_ID, 'must be a principal id such as person:paula'),
  namespace: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a Cedar namespace such as Custos'),
  description: z.string().optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;

export function parseManifest(bytes: Uint8Array, problems: Problem[]): Manifest | undefined {
  const source = parseYaml(MANIFEST_FILE, bytes, problems);
  if (!source) return undefined;
  const result = ManifestSchema.safeParse(source.value);
  if (!result.success) {
    problems.push(...zodProblems(source, result.error, () => 'MANIFEST_INVALID'));
    return undefined;
  }
  return result.data;
}
