/** A bundle version's files, stored with it so every version stays retrievable by hash. */
import { canonicalize } from '../core/canonical-json.js';
import { decodeBase64Strict, encodeBase64, utf8 } from '../core/bytes.js';
import { CustosError } from '../core/errors.js';
import type { BundleFile } from '../policy/index.js';

export function encodeFiles(files: readonly BundleFile[]): Uint8Array {
  return utf8(canonicalize(files.map((f) => ({ path: f.path, bytes: encodeBase64(f.bytes) }))));
}

export function decodeFiles(stored: Uint8Array): BundleFile[] {
  const entries = JSON.parse(Buffer.from(stored).toString('utf8')) as { path: string; bytes: string }[];
  return entries.map((e) => {
    const bytes = decodeBase64Strict(e.bytes);
    if (bytes === undefined)
      throw new CustosError('STORE_CONFLICT', `stored bundle file ${e.path} is corrupt`);
    return { path: e.path, bytes };
  });
}
