import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { e2eContext } from './context.js';
import { run, type RunResult } from './exec.js';
import { cliPath } from './paths.js';

/** Runs the built CLI (dist/cli.js) with no terminal; stdin gets input (or nothing). */
export function runTool(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const env = { ...process.env, ...options.env };
  delete env.SYNAPSE_CONFIG_PATH;
  // An empty working directory, so a stray ./homeserver.yaml can never be picked up.
  const toolCwd = path.join(e2eContext().runDir, 'cwd');
  mkdirSync(toolCwd, { recursive: true });
  return run(process.execPath, [cliPath, ...args], { input: options.input, env, cwd: toolCwd, timeoutMs: 60_000 });
}

/** The single JSON object a --json run must print on stdout, whatever its exit code. */
export function parseJson(result: RunResult): Record<string, any> {
  try {
    return JSON.parse(result.stdout) as Record<string, any>;
  } catch {
    throw new Error(`expected exactly one JSON object on stdout, got:\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
}
