// vitest globalSetup: the command as it ships (scripts/build.mjs: dist/cli.cjs and its bundle),
// built once per run from the current sources into ROOT/tmp/, for the tests whose subject is a
// separate process (exit codes, signals, locks, stdin). Starting it costs a tenth of what
// `node --import tsx src/cli.ts` costs, which transforms the sources again in every process.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** dist/cli.cjs of a build of the current sources, laid out as installed. */
    sabCli: string;
  }
}

const ROOT = join(import.meta.dirname, '../..');

export default function setup(project: TestProject): () => void {
  // Inside the checkout, where the bundle's external packages resolve from; ROOT/tmp/ is ignored by git.
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'tmp', 'test-bundle-'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  const dist = join(dir, 'dist');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), `--outdir=${dist}`], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building the command for the tests failed:\n${build.stderr}`);
  }
  project.provide('sabCli', join(dist, 'cli.cjs'));
  return () => rmSync(dir, { recursive: true, force: true });
}
