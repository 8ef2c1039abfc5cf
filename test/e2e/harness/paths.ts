import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const scriptsDir = path.join(repoRoot, 'scripts', 'e2e');
export const cliPath = path.join(repoRoot, 'dist', 'cli.cjs');
