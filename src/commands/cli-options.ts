// How option values on the command line are read before yargs sees them. Scripts write booleans
// the way their language prints them (Jinja `True`, YAML `yes`, shell `1`), but yargs reads every
// value except the exact word "true" as false: `--admin=True` would demote. So each boolean option
// is rewritten to the form yargs reads unambiguously (`--admin` or `--no-admin`), and a value that
// is no boolean, or an option both set and unset, is refused.
import { UsageError } from '../errors.js';

export interface BooleanOption {
  /** The long name, kebab-case, as declared to yargs. */
  name: string;
  /** A one-letter alias (`-y`). */
  alias?: string;
}

export const BOOLEAN_SPELLINGS = 'true/false, yes/no, on/off or 1/0 (any case)';

const SPELLINGS = new Map<string, boolean>([
  ['true', true],
  ['yes', true],
  ['on', true],
  ['1', true],
  ['false', false],
  ['no', false],
  ['off', false],
  ['0', false],
]);

/** True or false for a spelling scripts produce, undefined for anything else. */
export function parseBoolean(value: string): boolean | undefined {
  return SPELLINGS.get(value.toLowerCase());
}

export interface BooleanReading {
  /** argv with every boolean option written as `--name` or `--no-name`. */
  argv: string[];
  /** What each boolean option given on the command line was set to. */
  values: Map<string, boolean>;
  /** The first value that is not a boolean, or option both set and unset; argv is then unusable. */
  problem?: UsageError;
}

interface Token {
  option: string;
  negated: boolean;
  value?: string;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * Reads the boolean options in `argv` as yargs would, but with every spelling in SPELLINGS.
 * `--no-x=VALUE` means x is not VALUE (yargs' own reading of a negated option), so
 * `--no-admin=false` is `--admin`. As in yargs, a separate word after a boolean option is its value
 * only when it is exactly `true` or `false`; anything after `--` is left alone.
 */
export function readBooleanOptions(argv: readonly string[], options: readonly BooleanOption[]): BooleanReading {
  const byName = new Map<string, string>();
  for (const o of options) {
    byName.set(`--${o.name}`, o.name);
    byName.set(`--${camel(o.name)}`, o.name);
    if (o.alias !== undefined) byName.set(`-${o.alias}`, o.name);
  }
  const tokenOf = (arg: string): Token | undefined => {
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? undefined : arg.slice(eq + 1);
    const plain = byName.get(flag);
    if (plain !== undefined) return { option: plain, negated: false, value };
    const negated = flag.startsWith('--no-') ? byName.get(`--${flag.slice(5)}`) : undefined;
    return negated === undefined ? undefined : { option: negated, negated: true, value };
  };

  const out: string[] = [];
  const values = new Map<string, boolean>();
  let problem: UsageError | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const token = tokenOf(arg);
    if (token === undefined) {
      out.push(arg);
      continue;
    }
    let value = token.value;
    const next = argv[i + 1];
    if (value === undefined && !token.negated && (next === 'true' || next === 'false')) {
      value = next;
      i++;
    }
    const given = value === undefined ? true : parseBoolean(value);
    const shown = `--${token.negated ? 'no-' : ''}${token.option}`;
    if (given === undefined) {
      problem ??= new UsageError(
        `The value given to ${shown} is not a boolean. Write --${token.option} or --no-${token.option}, ` +
          `or --${token.option}=VALUE with ${BOOLEAN_SPELLINGS}.`,
      );
      out.push(arg);
      continue;
    }
    const set = given !== token.negated;
    const earlier = values.get(token.option);
    if (earlier !== undefined && earlier !== set) {
      problem ??= new UsageError(
        `--${token.option} is given both as true and as false (--${token.option}, --no-${token.option} ` +
          'or a value after "="). Give it once.',
      );
    }
    if (earlier === undefined) values.set(token.option, set);
    out.push(set ? `--${token.option}` : `--no-${token.option}`);
  }
  return problem === undefined ? { argv: out, values } : { argv: out, values, problem };
}

/**
 * yargs settings for an option that takes one string. Without a value it is a usage error (not an
 * empty string); given twice it would reach the command as an array, and which one was meant is a
 * guess, so that is refused too.
 */
export function singleValue(name: string) {
  return {
    type: 'string',
    requiresArg: true,
    coerce: (value: string | string[]): string => {
      if (Array.isArray(value)) throw new UsageError(`--${name} is given ${value.length} times. Give it once.`);
      return value;
    },
  } as const;
}

/**
 * A string option that may be given several times, always read as a list. Not `array: true`: that
 * would swallow the command name in `-c FILE promote`.
 */
export function repeatable() {
  return { type: 'string', requiresArg: true, coerce: (value: string | string[]): string[] => [value].flat() } as const;
}

/** `apply -` means stdin, but yargs drops a lone `-`: command-line.ts passes it on as this instead. */
export const STDIN_ARG = '\0stdin';
