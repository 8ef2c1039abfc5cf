// Every boolean option of every command, declared once. Each builder declares its booleans through
// booleanOption(), and the pre-parser (command-line.ts) reads this list before yargs runs, to
// rewrite `--admin=True` and the like, without loading any command's module.
import type { BooleanOption } from './cli-options.js';

/** By name: how yargs reads each boolean option (its help text is the builder's). */
const BOOLEANS = {
  json: { default: false },
  'dry-run': { default: false },
  yes: { alias: 'y', default: false },
  verbose: { default: false },
  // No default: register --exists-ok leaves an existing user's admin flag alone unless it is given.
  admin: {},
  'exists-ok': { default: false },
  'password-stdin': {},
  'random-password': {},
  'ignore-policy': { default: false },
  logout: { default: false },
  reactivate: { default: false },
  unshadowban: { default: false },
} as const;

/** The arguments of yargs' .option() for a boolean option declared above. */
export function booleanOption<K extends keyof typeof BOOLEANS>(name: K, describe: string) {
  return [name, { ...BOOLEANS[name], type: 'boolean', describe }] as const;
}

/** The boolean options, as the pre-parser (readBooleanOptions) takes them. */
export const BOOLEAN_OPTIONS: readonly BooleanOption[] = Object.entries(BOOLEANS).map(([name, o]) =>
  'alias' in o ? { name, alias: o.alias } : { name },
);
