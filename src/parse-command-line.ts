// argv in, options out, for tests: the command line as a handler would see it, without running it.
import type { CommandModule } from 'yargs';
import { commandsFor } from './commands/catalog.js';
import { begin, commandLine } from './command-line.js';
import type { Io } from './io.js';

export interface ParsedCommandLine {
  /** The command's name, e.g. "register". */
  command: string;
  /** The options its handler would get (camelCase and kebab-case, as yargs hands them over). */
  options: Record<string, unknown>;
}

/**
 * argv in, options out: the command line as the handler would see it, without running it (no
 * config, no database). Throws the UsageError the CLI would print.
 */
export async function parseCommandLine(rawArgv: string[], io: Io): Promise<ParsedCommandLine> {
  const { argv, problem, out } = begin(rawArgv, io);
  if (problem !== undefined) throw problem;
  let parsed: ParsedCommandLine | undefined;
  const capture = (module: CommandModule): CommandModule => ({
    ...module,
    handler: (args) => {
      parsed = { command: String(module.command).split(' ')[0]!, options: { ...args } };
    },
  });
  await (await commandLine(argv, (await commandsFor(argv, io, out)).map(capture), out)).parseAsync();
  if (parsed === undefined) throw new Error('no command ran');
  return parsed;
}
