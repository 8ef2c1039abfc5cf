// The entry point: parses arguments, runs one command, and is the only place that sets the exit code.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commandsFor } from './commands/catalog.js';
import { begin, commandLine } from './command-line.js';
import { ExitCode } from './errors.js';
import { processIo, type Io } from './io.js';

/** Runs the CLI on `argv` and returns the exit code; never calls process.exit. */
export async function runCli(rawArgv: string[], io: Io): Promise<number> {
  const { argv, problem, out } = begin(rawArgv, io);
  if (problem !== undefined) return out.failure(problem);
  try {
    await (await commandLine(argv, await commandsFor(argv, io, out), out)).parseAsync();
    return ExitCode.OK;
  } catch (err) {
    return out.failure(err);
  }
}

function isMain(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** What the installed command (dist/cli.cjs) calls once it has loaded the bundle. */
export async function main(): Promise<void> {
  // What yargs' hideBin does for a script run by node.
  process.exitCode = await runCli(process.argv.slice(2), processIo());
}

// Run from the sources (tsx src/cli.ts); in the bundle, argv[1] is the launcher.
if (isMain()) void main();
