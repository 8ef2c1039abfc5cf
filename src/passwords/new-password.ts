// What register, set-password and apply do with a new password: read it from the chosen source,
// check it against the server's policy, and hash it as Synapse does, or, on servers whose logins
// belong to MAS, as MAS does.
import type { SynapseConfig } from '../config/types.js';
import { ConfigError, UsageError } from '../errors.js';
import { isInteractive, type Io } from '../io.js';
import type { Output } from '../output.js';
import type { MasConfig, MasPasswords } from '../mas/config.js';
import { currentScheme, hashMasPassword, passwordScore } from '../mas/password.js';
import { passwordLoginWorks } from '../synapse/login.js';
import { passwordLoginOff } from '../synapse/messages.js';
import { checkPolicy, hashPassword } from '../synapse/password.js';
import { choosePasswordSource, readPassword, type ObtainedPassword, type PasswordFlags } from './input.js';

export interface PasswordArgs extends PasswordFlags {
  ignorePolicy: boolean;
  yes: boolean;
}

export interface HashedPassword {
  hash: string;
  /** Set only for --random-password, so the caller can print it once. */
  generated?: string;
}

/** Whether the command line names a password source (a prompt is not one). */
export function passwordSourceGiven(flags: PasswordFlags): boolean {
  return flags.password !== undefined || flags.passwordFile !== undefined || flags.passwordStdin === true || flags.randomPassword === true;
}

/** Reads the password from the chosen source: what both account stores share. */
async function obtainPassword(args: PasswordArgs, io: Io, out: Output): Promise<ObtainedPassword> {
  const source = choosePasswordSource(args, isInteractive(io) && !args.yes);
  if (source.kind === 'value') {
    out.warn('--password puts the password in the process list and your shell history. Prefer --password-file or --password-stdin.');
  }
  return readPassword(source, {
    stdin: io.stdin,
    stderr: io.stderr,
    isTTY: isInteractive(io),
    randomBytes: io.randomBytes,
  });
}

/**
 * Reads the password from the chosen source, checks it against the policy, and hashes it as Synapse
 * would; `user` (the user it is for) is named in the warning when password login is off.
 */
export async function obtainPasswordHash(
  args: PasswordArgs,
  io: Io,
  out: Output,
  config: SynapseConfig,
  user?: string,
): Promise<HashedPassword> {
  const { password, generated } = await obtainPassword(args, io, out);
  const problems = args.ignorePolicy || generated ? [] : checkPolicy(password, config.password.policy);
  if (problems.length > 0) {
    throw new UsageError(
      `The password does not meet password_config.policy in ${config.files.join(', ')}: ${problems.join('; ')}. ` +
        'Choose another, or pass --ignore-policy.',
    );
  }
  if (!passwordLoginWorks(config.password)) out.warn(passwordLoginOff(user));
  const hash = await hashPassword(password, config.password);
  return generated ? { hash, generated: password } : { hash };
}

/** A user_passwords row's content: the hash and the version of the scheme that made it. */
export interface MasHashedPassword extends HashedPassword {
  version: number;
}

function passwordsFile(mas: MasConfig, passwords: MasPasswords): string {
  return passwords.file ?? (mas.files.length > 0 ? `${mas.files.join(', ')} (MAS's defaults)` : "MAS's defaults");
}

/**
 * The `passwords` section a new MAS password needs, checked before anyone types one: its schemes
 * and pepper are only in MAS's config file, and MAS itself refuses passwords when they are off.
 */
export function masPasswordsForNewPassword(mas: MasConfig): MasPasswords {
  const passwords = mas.passwords;
  if (passwords === undefined) {
    throw new ConfigError(
      `A MAS password is hashed with the schemes and pepper in MAS's config file, and none was read (only ${mas.databaseSource}). ` +
        "Pass --mas-config with MAS's config.yaml (or set $MAS_CONFIG).",
    );
  }
  if (!passwords.enabled) {
    throw new ConfigError(
      `Passwords are off in MAS (passwords.enabled: false in ${passwordsFile(mas, passwords)}): MAS neither stores nor accepts them, ` +
        'so users log in through an upstream provider. Leave out the password options, or turn passwords on in MAS first.',
    );
  }
  return passwords;
}

/**
 * Reads the password from the chosen source, checks MAS's minimum_complexity as MAS does (zxcvbn
 * with no user inputs), and hashes it with the scheme MAS uses for new passwords. Call
 * masPasswordsForNewPassword first.
 */
export async function obtainMasPasswordHash(
  args: PasswordArgs,
  io: Io,
  out: Output,
  mas: MasConfig,
  passwords: MasPasswords,
): Promise<MasHashedPassword> {
  const { password, generated } = await obtainPassword(args, io, out);
  // Generated passwords are checked too: they must pass, never be let through unchecked.
  if (!args.ignorePolicy) {
    const score = passwordScore(password);
    if (score < passwords.minimumComplexity) {
      throw new UsageError(
        `The password is too easy to guess for MAS: its complexity score is ${score} (zxcvbn, 0-4), and passwords.minimum_complexity ` +
          `in ${passwordsFile(mas, passwords)} asks for at least ${passwords.minimumComplexity}. ` +
          'Choose a longer, less predictable one (or --random-password), or pass --ignore-policy.',
      );
    }
  }
  const scheme = currentScheme(passwords);
  const hash = await hashMasPassword(password, scheme);
  return { hash, version: scheme.version, ...(generated ? { generated: password } : {}) };
}
