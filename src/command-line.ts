// The command line as yargs reads it: global options, the commands named, help, completion, and
// usage errors said without repeating what might be a password. cli.ts runs it.
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { CATALOG } from './commands/catalog.js';
import { BOOLEAN_OPTIONS } from './commands/boolean-options.js';
import { BOOLEAN_SPELLINGS, STDIN_ARG, parseBoolean, readBooleanOptions } from './commands/cli-options.js';
import { withGlobalOptions } from './commands/global-options.js';
import { HELP_WIDTH } from './help-width.cjs';
import { EXIT_CODE_HELP, ToolError, UsageError } from './errors.js';
import type { Io } from './io.js';
import { Output } from './output.js';

const EPILOGUE = [
  'Config: without -c, the tool reads $SYNAPSE_CONFIG_PATH, ./homeserver.yaml,',
  '/etc/matrix-synapse/homeserver.yaml (+ conf.d/), or /data/homeserver.yaml, the first found.',
  '',
  `Boolean options: --x, --no-x, or --x=VALUE with ${BOOLEAN_SPELLINGS}.`,
  '',
  'Exit codes:',
  ...EXIT_CODE_HELP.map(([code, text]) => `  ${code}  ${text}`),
].join('\n');

/** After these the shell completes file names (yargs' scripts fall back to them on no answer). */
const PATH_OPTIONS = new Set(['-c', '--config', '--password-file', '--database-url', '--mas-config']);

const COMMAND_NAMES = new Set(CATALOG.map((c) => c.name));

// As readBooleanOptions writes them.
const BOOLEAN_FLAGS = new Set(BOOLEAN_OPTIONS.flatMap((o) => [`--${o.name}`, `--no-${o.name}`]));

/**
 * yargs names every stray argument; a stray value may be a password typed in the wrong place, so
 * only option names and unknown command names are repeated.
 */
function describeUsageProblem(message: string, argv: string[]): string {
  const missing = /^Not enough arguments following: (.+)$/.exec(message);
  if (missing !== null) {
    const name = missing[1]!;
    return `${optionName(name)} needs a value (write --${SHORT_ALIASES[name] ?? name}=VALUE when the value begins with '-')`;
  }
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown === null) return message;
  const names = unknown[1]!.split(', ');
  const isOption = (n: string) => argv.some((a) => a === `--${n}` || a === `-${n}` || a.startsWith(`--${n}=`));
  const options = names.filter(isOption);
  const values = names.filter((n) => !isOption(n));
  // A stray word standing where the command goes, with no known command before it, is the command.
  const firstCommand = argv.findIndex((a) => COMMAND_NAMES.has(a));
  const command = values.find((v) => firstCommand === -1 || argv.indexOf(v) < firstCommand);
  const parts = [];
  if (options.length > 0) parts.push(`Unknown option ${options.map(optionName).join(', ')}`);
  if (command !== undefined) parts.push(`Unknown command "${command}"`);
  else if (values.length > 0) {
    // `--admin True`: yargs takes only the exact words true and false as a boolean's separate value.
    const misplaced = values.find((v) => parseBoolean(v) !== undefined && BOOLEAN_FLAGS.has(argv[argv.indexOf(v) - 1] ?? ''));
    parts.push(
      misplaced !== undefined
        ? `Unexpected extra argument "${misplaced}": give a boolean option its value after "=", like ${argv[argv.indexOf(misplaced) - 1]}=${misplaced}`
        : 'Unexpected extra argument (not repeated here, in case it is a password)',
    );
  }
  return parts.join('. ');
}

const SHORT_ALIASES: Record<string, string> = { c: 'config', y: 'yes' };
const optionName = (n: string) => (n.length > 1 ? `--${n}` : SHORT_ALIASES[n] ? `-${n}/--${SHORT_ALIASES[n]}` : `-${n}`);

/** yargs reports its own findings as YError; anything else thrown in a handler is ours. */
function usageFailure(message: string, err: Error | undefined, argv: string[]): Error {
  if (err instanceof ToolError || (err !== undefined && err.name !== 'YError')) return err;
  return new UsageError(`${describeUsageProblem(message, argv).replace(/\.?$/, '.')} See --help.`);
}

type UsageInstance = { cacheHelpMessage?: () => void };

/**
 * Behind every command it runs, yargs renders that command's whole help text and keeps it, for a
 * handler that might ask for it (ours never do, and our .fail() prints none): tens of
 * milliseconds per process. yargs has no option for that, so its internal hook is emptied where
 * it exists; should a yargs version lack it, help is rendered as before.
 */
function withoutHelpCache<T extends Argv>(y: T): T {
  const internal = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => UsageInstance } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  return y;
}

/**
 * Our package.json is one level above src/ and dist/ alike. yargs would look for it from where its
 * own files are, which the bundle moves into dist/: installed, it found none and said "unknown".
 */
function ourVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The whole command line: global options, the commands given, help, completion and usage errors. */
export async function commandLine(argv: string[], commands: CommandModule[], out: Output) {
  const { default: yargs } = await import('yargs');
  return withoutHelpCache(withGlobalOptions(
    yargs(argv)
      .scriptName('synapse-admin-bootstrap')
      .usage('$0 <command> [options]\n\nMake and repair Synapse server admins directly in its database.'),
  )
    .middleware((args) => {
      out.json = args.json;
      out.verbose = args.verbose;
    })
    .command(commands)
    .completion(
      'completion',
      'print a bash or zsh completion script (see the README)',
      (_current: string, _args: unknown, defaultCompletion: () => void, done: (completions: string[]) => void) => {
        const words = argv.slice(argv.indexOf('--get-yargs-completions') + 1);
        if (PATH_OPTIONS.has(words.at(-2) ?? '')) done([]);
        else defaultCompletion();
      },
    )
    .version(ourVersion())
    .demandCommand(1, 'Name a command; --help lists them.')
    .strict()
    .epilogue(EPILOGUE)
    .wrap(Math.min(HELP_WIDTH, process.stdout.columns ?? HELP_WIDTH))
    .exitProcess(false)
    .fail((message, err) => {
      throw usageFailure(message, err, argv);
    }));
}

/** Reads booleans as scripts write them; the Output starts with what they say, for errors yargs reports before parsing. */
export function begin(rawArgv: string[], io: Io) {
  const booleans = readBooleanOptions(rawArgv, BOOLEAN_OPTIONS);
  const out = new Output(io, booleans.values.get('json') ?? false, booleans.values.get('verbose') ?? false);
  return { argv: stdinArgument(booleans.argv), problem: booleans.problem, out };
}

/** yargs drops a lone `-` (it reads it as an empty option group); `apply -` means stdin, so it is kept as STDIN_ARG. */
function stdinArgument(argv: string[]): string[] {
  return argv.includes('apply') ? argv.map((a) => (a === '-' ? STDIN_ARG : a)) : argv;
}
