// The options every command takes, declared on the top-level parser (command-line.ts). The
// parser loads this module for every command line, --help included: it holds declarations only.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { booleanOption } from './boolean-options.js';
import { repeatable, singleValue } from './cli-options.js';

/** The options a builder declares, read from its return type. */
export type OptionsOf<B> = B extends (...args: never[]) => Argv<infer A> ? A : never;

/** The options every command takes, declared once on the top-level parser (command-line.ts). */
export function withGlobalOptions<T>(y: Argv<T>) {
  return y
    .option('config', {
      alias: 'c',
      ...repeatable(),
      describe: 'homeserver.yaml or a directory of *.yaml (repeatable, merged as Synapse does)',
    })
    .option('database-url', {
      ...singleValue('database-url'),
      describe: "a postgres:// URL or an SQLite path; overrides the config's database",
    })
    .option('mas-config', {
      ...repeatable(),
      describe: "matrix-authentication-service's config.yaml (repeatable, merged as MAS does; default $MAS_CONFIG)",
    })
    .option('mas-database-url', {
      ...singleValue('mas-database-url'),
      describe: "a postgres:// URL for matrix-authentication-service's database; overrides its config",
    })
    .option(...booleanOption('json', 'print exactly one JSON object on stdout'))
    .option(...booleanOption('dry-run', 'show what would change, write nothing'))
    .option(...booleanOption('yes', 'never prompt'))
    .option(...booleanOption('verbose', 'say which files and database were used'));
}

export type GlobalOptions = OptionsOf<typeof withGlobalOptions<object>>;

export type GlobalArgs = ArgumentsCamelCase<GlobalOptions>;
