/** A bundle directory as the API takes it: every file, '/'-separated relative paths, base64 content. */
import fs from 'node:fs';
import path from 'node:path';

export function bundleFiles(dir: string): { path: string; content: string }[] {
  const out: { path: string; content: string }[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile())
        out.push({ path: child, content: fs.readFileSync(path.join(dir, child)).toString('base64') });
    }
  };
  walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
