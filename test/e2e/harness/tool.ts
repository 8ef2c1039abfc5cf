import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { e2eContext } from './context.js';
import { run, type RunResult } from './exec.js';
import type { Homeserver } from './homeserver.js';
import { cliPath } from './paths.js';

export interface ToolOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs the built CLI (dist/cli.cjs) with no terminal; stdin gets input (or nothing). */
export function runTool(args: readonly string[], options: ToolOptions = {}): Promise<RunResult> {
  const env = { ...process.env };
  delete env.SYNAPSE_CONFIG_PATH;
  // An empty working directory, so a stray ./homeserver.yaml can never be picked up.
  const cwd = path.join(e2eContext().runDir, 'cwd');
  mkdirSync(cwd, { recursive: true });
  return run(process.execPath, [cliPath, ...args], { input: options.input, env: { ...env, ...options.env }, cwd, timeoutMs: 60_000 });
}

/** The tool pointed at a homeserver's config files, exactly as its Synapse reads them. */
export function toolOn(hs: Homeserver) {
  return (args: readonly string[], options?: ToolOptions) => runTool([...hs.configArgs, ...args], options);
}

function describeRun(result: RunResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** The single JSON object a --json run must print on stdout, whatever its exit code. */
export function parseJson(result: RunResult): Record<string, any> {
  try {
    const value = JSON.parse(result.stdout) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, any>;
  } catch {
    // reported below
  }
  throw new Error(`expected exactly one JSON object on stdout:\n${describeRun(result)}`);
}

/** A --json run that must have succeeded: exit 0 and {"ok": true}; its object. */
export function okJson(result: RunResult): Record<string, any> {
  const json = parseJson(result);
  if (result.code !== 0 || json.ok !== true) throw new Error(`expected success:\n${describeRun(result)}`);
  return json;
}

/** A --json run that must have failed with exit code `code`; its error object. */
export function failedJson(result: RunResult, code: number): { code: number; kind: string; message: string } {
  const json = parseJson(result);
  if (result.code !== code || json.ok !== false || json.error?.code !== code) {
    throw new Error(`expected failure with exit ${code} and {"ok":false,"error":{"code":${code}}}:\n${describeRun(result)}`);
  }
  return json.error;
}
