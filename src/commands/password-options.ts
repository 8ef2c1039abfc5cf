// The password options of register and set-password, as yargs takes them; what is done with the
// password is in src/passwords/.
import type { Argv } from 'yargs';
import { singleValue } from './cli-options.js';
import { booleanOption } from './boolean-options.js';

export function withPasswordOptions<T>(y: Argv<T>) {
  return y
    .option('password-file', { ...singleValue('password-file'), describe: 'read the password from this file (surrounding whitespace stripped)' })
    .option(...booleanOption('password-stdin', 'read the password from standard input'))
    .option(...booleanOption('random-password', 'generate a strong password and print it once'))
    .option('password', { ...singleValue('password'), describe: 'the password itself (visible in the process list: avoid)' })
    .option(...booleanOption('ignore-policy', "skip the config's password_config.policy (with MAS: its passwords.minimum_complexity)"));
}
