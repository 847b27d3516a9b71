/**
 * The only file in src/policy that does I/O: read a bundle directory into its file list.
 * Hidden entries (`.git`, `.DS_Store`) are skipped; they are not part of the bundle or its hash.
 * Symbolic links and other non-regular files are refused, so a bundle can never pull in content
 * from outside its directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MAX_BUNDLE_FILES, MAX_FILE_BYTES, type BundleFile } from './bundle-hash.js';
import { BundleInvalidError, type Problem } from './problems.js';

/** Every regular, non-hidden file under `dir`, with '/'-separated relative paths. */
export function bundleFiles(dir: string): BundleFile[] {
  const problems: Problem[] = [];
  const files: BundleFile[] = [];
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new BundleInvalidError([missing(`no bundle directory at ${dir}`)]);
  }
  if (!stat.isDirectory()) throw new BundleInvalidError([missing(`${dir} is not a directory`)]);
  walk(dir, '', files, problems);
  if (problems.length > 0) throw new BundleInvalidError(problems);
  return files;
}

function walk(root: string, rel: string, files: BundleFile[], problems: Problem[]): void {
  const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      walk(root, relPath, files, problems);
    } else if (!entry.isFile()) {
      problems.push({
        file: relPath,
        line: 1,
        code: 'FILE_UNEXPECTED',
        message: 'only regular files may be part of a bundle (no symbolic links)',
      });
    } else if (files.length >= MAX_BUNDLE_FILES) {
      problems.push({
        file: relPath,
        line: 1,
        code: 'BUNDLE_TOO_LARGE',
        message: `more than ${MAX_BUNDLE_FILES} files`,
      });
      return;
    } else {
      const full = path.join(root, relPath);
      const size = fs.statSync(full).size;
      if (size > MAX_FILE_BYTES) {
        problems.push({
          file: relPath,
          line: 1,
          code: 'BUNDLE_TOO_LARGE',
          message: `file has ${size} bytes; at most ${MAX_FILE_BYTES}`,
        });
      } else {
        files.push({ path: relPath, bytes: new Uint8Array(fs.readFileSync(full)) });
      }
    }
  }
}

function missing(message: string): Problem {
  return { file: '.', line: 1, code: 'FILE_MISSING', message };
}
