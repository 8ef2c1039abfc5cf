// The password sources register and set-password share, and what both do with the password.
import type { Argv } from 'yargs';
import { singleValue } from './cli-options.js';
import type { SynapseConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { isInteractive, type Io } from '../io.js';
import type { Output } from '../output.js';
import { passwordLoginWorks } from '../synapse/login.js';
import { checkPolicy, hashPassword } from '../synapse/password.js';
import { choosePasswordSource, readPassword, type PasswordFlags } from './password-input.js';

export interface PasswordArgs extends PasswordFlags {
  ignorePolicy: boolean;
  yes: boolean;
}

export function withPasswordOptions<T>(y: Argv<T>) {
  return y
    .option('password-file', { ...singleValue('password-file'), describe: 'read the password from this file (surrounding whitespace stripped)' })
    .option('password-stdin', { type: 'boolean', describe: 'read the password from standard input' })
    .option('random-password', { type: 'boolean', describe: 'generate a strong password and print it once' })
    .option('password', { ...singleValue('password'), describe: 'the password itself (visible in the process list: avoid)' })
    .option('ignore-policy', { type: 'boolean', default: false, describe: "skip the config's password_config.policy" });
}

export interface HashedPassword {
  hash: string;
  /** Set only for --random-password, so the caller can print it once. */
  generated?: string;
}

/** Reads the password from the chosen source, checks it against the policy, and hashes it as Synapse would. */
export async function obtainPasswordHash(
  args: PasswordArgs,
  io: Io,
  out: Output,
  config: SynapseConfig,
): Promise<HashedPassword> {
  const source = choosePasswordSource(args, isInteractive(io) && !args.yes);
  if (source.kind === 'value') {
    out.warn('--password puts the password in the process list and your shell history. Prefer --password-file or --password-stdin.');
  }
  const { password, generated } = await readPassword(source, {
    stdin: io.stdin,
    stderr: io.stderr,
    isTTY: isInteractive(io),
    randomBytes: io.randomBytes,
  });
  const problems = args.ignorePolicy || generated ? [] : checkPolicy(password, config.password.policy);
  if (problems.length > 0) {
    throw new UsageError(
      `The password does not meet password_config.policy in ${config.files.join(', ')}: ${problems.join('; ')}. ` +
        'Choose another, or pass --ignore-policy.',
    );
  }
  if (!passwordLoginWorks(config.password)) {
    out.warn(
      'Password login is off in this config (password_config), so this password will not log anyone in. Use `issue-token <user>` for Admin API access.',
    );
  }
  const hash = await hashPassword(password, config.password);
  return generated ? { hash, generated: password } : { hash };
}
