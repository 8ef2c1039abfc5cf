// Throwaway directories of real files for one test, removed when the test finishes.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';

/** Relative path -> content; a path ending in "/" makes an empty directory. */
export type Tree = Record<string, string>;

/** Writes `tree` under a fresh directory and returns that directory's path. */
export async function tempTree(tree: Tree): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sab-tree-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  for (const [path, content] of Object.entries(tree)) {
    const full = join(root, path);
    if (path.endsWith('/')) {
      await mkdir(full, { recursive: true });
    } else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
  return root;
}

/** An empty directory for the running test, removed when it finishes. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
