/**
 * The bundle hash: `sha256:<hex>` over a canonical listing of the bundle's files, the same
 * construction as Go's `dirhash.Hash1` (golang.org/x/mod/sumdb/dirhash) with a hex result:
 *
 *   listing = for each file, sorted by path (bytewise; paths are ASCII):
 *               hex(SHA-256(file bytes)) + "  " + path + "\n"
 *   hash    = "sha256:" + hex(SHA-256(listing))
 *
 * The listing is exactly what `sha256sum` prints, so anyone can recompute the hash with
 *   cd BUNDLE && find . -name '.?*' -prune -o -type f -print | sed 's|^\./||' \
 *     | LC_ALL=C sort | xargs sha256sum | sha256sum
 * It is independent of the order files are given in and changes with any byte or any path.
 */
import { createHash } from 'node:crypto';
import type { Problem } from './problems.js';

export interface BundleFile {
  /** Relative, '/'-separated, ASCII (see BUNDLE_PATH). */
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Relative paths of bundle files: ASCII segments, none hidden, none `.` or `..`. */
export const BUNDLE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Limits for bundles that arrive from outside (an upload is attacker-controlled input). */
export const MAX_BUNDLE_FILES = 1000;
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

export function bundleHash(files: readonly BundleFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const listing = createHash('sha256');
  let previous: string | undefined;
  for (const file of sorted) {
    if (!BUNDLE_PATH.test(file.path)) throw new TypeError(`invalid bundle path ${JSON.stringify(file.path)}`);
    if (file.path === previous) throw new TypeError(`duplicate bundle path ${file.path}`);
    previous = file.path;
    const digest = createHash('sha256').update(file.bytes).digest('hex');
    listing.update(`${digest}  ${file.path}\n`);
  }
  return `sha256:${listing.digest('hex')}`;
}

/** Problems with the file list itself: bad or duplicate paths, sizes beyond the limits. */
export function checkFileList(files: readonly BundleFile[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  let total = 0;
  if (files.length > MAX_BUNDLE_FILES) {
    problems.push(tooLarge('.', `bundle has ${files.length} files; at most ${MAX_BUNDLE_FILES}`));
  }
  for (const file of files) {
    const shown = BUNDLE_PATH.test(file.path) ? file.path : JSON.stringify(file.path);
    if (!BUNDLE_PATH.test(file.path)) {
      problems.push({
        file: shown,
        line: 1,
        code: 'FILE_UNEXPECTED',
        message: 'file names must be ASCII letters, digits, ".", "_" or "-", not hidden',
      });
    }
    if (seen.has(file.path)) {
      problems.push({ file: shown, line: 1, code: 'FILE_UNEXPECTED', message: 'file listed twice' });
    }
    seen.add(file.path);
    total += file.bytes.length;
    if (file.bytes.length > MAX_FILE_BYTES) {
      problems.push(tooLarge(shown, `file has ${file.bytes.length} bytes; at most ${MAX_FILE_BYTES}`));
    }
  }
  if (total > MAX_BUNDLE_BYTES) {
    problems.push(tooLarge('.', `bundle has ${total} bytes; at most ${MAX_BUNDLE_BYTES}`));
  }
  return problems;
}

function tooLarge(file: string, message: string): Problem {
  return { file, line: 1, code: 'BUNDLE_TOO_LARGE', message };
}
