// Where a new password comes from: a prompt, a file, stdin, a generator or the command line.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { readAll, readFileLimited } from '../io.js';

export type PasswordSource =
  | { kind: 'prompt' }
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'random' }
  | { kind: 'value'; value: string };

/** The password options as yargs hands them over. */
export interface PasswordFlags {
  password?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  randomPassword?: boolean;
}

export interface PasswordIO {
  stdin: NodeJS.ReadableStream;
  /** Prompts go here, never to stdout, so that --json output stays clean. */
  stderr: NodeJS.WritableStream;
  /** Whether stdin is a terminal someone can type at. */
  isTTY: boolean;
  randomBytes?: (size: number) => Buffer;
  /** How long a named FIFO given with --password-file may go without a writer (default FIFO_WAIT_MS). */
  fifoWaitMs?: number;
}

export interface ObtainedPassword {
  password: string;
  /** True for --random-password: the caller prints it once, nobody else knows it. */
  generated: boolean;
}

const SOURCE_OPTIONS =
  '--password-file PATH, --password-stdin, --random-password, or --password VALUE ' +
  '(visible to other users in the process list)';

export function choosePasswordSource(flags: PasswordFlags, isTTY: boolean): PasswordSource {
  const given: Array<[string, PasswordSource]> = [];
  if (flags.password !== undefined) given.push(['--password', { kind: 'value', value: flags.password }]);
  if (flags.passwordFile !== undefined) given.push(['--password-file', { kind: 'file', path: flags.passwordFile }]);
  if (flags.passwordStdin) given.push(['--password-stdin', { kind: 'stdin' }]);
  if (flags.randomPassword) given.push(['--random-password', { kind: 'random' }]);

  if (given.length > 1) {
    throw new UsageError(`Give one password source, not ${given.map(([name]) => name).join(' and ')}.`);
  }
  if (given.length === 1) return given[0]![1];
  if (isTTY) return { kind: 'prompt' };
  throw new UsageError(`No password given, and there is no terminal to ask on. Use ${SOURCE_OPTIONS}.`);
}

export async function readPassword(source: PasswordSource, io: PasswordIO): Promise<ObtainedPassword> {
  let password: string;
  switch (source.kind) {
    case 'prompt':
      password = await promptWithConfirmation(io);
      break;
    case 'file':
      return { password: await passwordFromFile(source.path, '--password-file', { fifoWaitMs: io.fifoWaitMs }), generated: false };
    case 'stdin':
      if (io.isTTY) {
        throw new UsageError(
          '--password-stdin reads from a terminal here, where the password would show as you type. ' +
            'Pipe it in (… | synapse-admin-bootstrap …), or leave out --password-stdin to be asked without echo.',
        );
      }
      password = stripLikePython(decodeUtf8(await readAll(io.stdin, PASSWORD_INPUT_LIMIT, () => tooLarge('The password on stdin', 'Check what is piped in')), 'The password on stdin'));
      break;
    case 'random':
      return { password: generatePassword(io.randomBytes ?? cryptoRandomBytes), generated: true };
    case 'value':
      password = source.value;
      break;
  }
  assertUsable(password, describeSource(source));
  return { password, generated: false };
}

// Synapse's admin and registration APIs refuse longer passwords (synapse/rest/admin/users.py).
const MAX_PASSWORD_LENGTH = 512;

/**
 * The most a password file or stdin may hold. A password is one line of at most 512 characters,
 * 2 KiB in UTF-8; 64 KiB (what a pipe holds) leaves room for any whitespace around it, and a
 * device (/dev/zero) or a wrong file is refused after one read instead of filling memory.
 */
const PASSWORD_INPUT_LIMIT = 64 * 1024;

/**
 * How long a named FIFO may go without a writer. A writer started alongside (a script, a secrets
 * agent) opens it within moments; without one, the open would wait forever.
 */
export const FIFO_WAIT_MS = 30_000;

function inSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${s} second${s === 1 ? '' : 's'}`;
}

/** The one sentence for a named FIFO that no writer opened in time; `then` says what follows from it and what to do. */
export function fifoWithoutWriter(path: string, waitMs: number, then: string): UsageError {
  return new UsageError(`${path} is a named pipe (FIFO), and nothing opened it for writing within ${inSeconds(waitMs)}${then}`);
}

function tooLarge(what: string, advice: string): UsageError {
  return new UsageError(
    `${what} is larger than ${PASSWORD_INPUT_LIMIT / 1024} KiB, far more than a password (at most ${MAX_PASSWORD_LENGTH} characters); ` +
      `it was not read further. ${advice}.`,
  );
}

function assertUsable(password: string, from: string): void {
  if (password === '') {
    throw new UsageError(`The password from ${from} is empty. Give a password, or use --random-password.`);
  }
  // A line break or NUL is almost always a mistake (two lines in a file); Python's bcrypt before
  // 4.0 refuses NUL, and no login form lets anyone type these.
  if (/[\0\r\n]/.test(password)) {
    throw new UsageError(
      `The password from ${from} contains a line break or NUL character. A password must be one line.`,
    );
  }
  if ([...password].length > MAX_PASSWORD_LENGTH) {
    throw new UsageError(
      `The password from ${from} is longer than ${MAX_PASSWORD_LENGTH} characters, which Synapse refuses.`,
    );
  }
}

function describeSource(source: PasswordSource): string {
  switch (source.kind) {
    case 'prompt':
      return 'the prompt';
    case 'file':
      return `the file ${source.path}`;
    case 'stdin':
      return 'stdin';
    case 'random':
      return 'the generator';
    case 'value':
      return '--password';
  }
}

// Why a file could not be read, by errno. Node's own message repeats the path, so it is not used.
const READ_FAILURES: Record<string, string> = {
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of its path is not a directory',
  ENAMETOOLONG: 'its name is too long',
  ELOOP: 'its path has too many symbolic links',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENXIO: 'it is a socket or a device with nothing behind it',
};

/**
 * A password typed where the path goes (`--password-file MyS3cret!`) must not reach the screen or a
 * log, so a file that cannot be read is not named: the admin can see the path in the command.
 * Once read, it is known to be a file, and later messages name it.
 */
async function readPasswordFile(path: string, givenWith: string, fifoWaitMs: number): Promise<Buffer> {
  try {
    return await readFileLimited(path, {
      limit: PASSWORD_INPUT_LIMIT,
      tooLarge: () => tooLarge(`The password file ${path}`, 'Check that the path names the file holding the password, not a device or another file'),
      fifoWaitMs,
      noWriter: () =>
        fifoWithoutWriter(path, fifoWaitMs, ', so it gives no password. Start the program that writes the password to it alongside this one, or give a regular file.'),
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
    const reason = READ_FAILURES[code] ?? `error ${code}`;
    throw new UsageError(
      `Cannot read the file given with ${givenWith}: ${reason}. Its name is not repeated here, in case a ` +
        'password was typed in its place. Check the path (a relative one is taken from the current directory).',
    );
  }
}

export interface PasswordFileOptions {
  /** What to use instead of an empty file (default --random-password). */
  insteadOfEmpty?: string;
  fifoWaitMs?: number | undefined;
}

/**
 * A password file as Synapse's register_new_matrix_user reads one: UTF-8, surrounding whitespace
 * stripped, one usable line. `givenWith` names the option or key that named the file.
 */
export async function passwordFromFile(path: string, givenWith: string, opts: PasswordFileOptions = {}): Promise<string> {
  const bytes = await readPasswordFile(path, givenWith, opts.fifoWaitMs ?? FIFO_WAIT_MS);
  const password = stripLikePython(decodeUtf8(bytes, `The password file ${path}`));
  if (password === '') {
    // Often a secret that was not rendered yet (a template, a mounted secret still empty).
    throw new UsageError(
      `The password file ${path} is ${bytes.length === 0 ? 'empty' : 'empty apart from whitespace'}, so it holds no password. ` +
        `Write the password into it (one line), or ${opts.insteadOfEmpty ?? 'use --random-password'}.`,
    );
  }
  assertUsable(password, `the file ${path}`);
  return password;
}

// A leading byte-order mark is an editor's artefact, not part of anyone's password: the default
// (non-ignoreBOM) decoder drops it.
function decodeUtf8(bytes: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${what} is not valid UTF-8 text. Save it as UTF-8 and try again.`);
  }
}

// What Python's str.strip() takes for whitespace (str.isspace), which Synapse's scripts strip from
// passwords from files and stdin. It differs from String.prototype.trim's set (it includes
// U+001C..U+001F and U+0085, and leaves U+FEFF alone). All of it is in the BMP: one UTF-16 unit.
const PYTHON_WHITESPACE = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/**
 * Python's str.strip(). Walked from both ends, not a regex anchored at the end: that one retries
 * at every inner whitespace run, which made 200,000 inner spaces take minutes.
 */
export function stripLikePython(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_WHITESPACE.test(text[start]!)) start++;
  while (end > start && PYTHON_WHITESPACE.test(text[end - 1]!)) end--;
  return text.slice(start, end);
}

async function promptWithConfirmation(io: PasswordIO): Promise<string> {
  if (!io.isTTY) {
    throw new UsageError(`Cannot ask for a password: stdin is not a terminal. Use ${SOURCE_OPTIONS}.`);
  }
  // readline in terminal mode puts a TTY into raw mode and does the line editing; everything it
  // would echo goes to this sink, so the password never reaches the screen.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: io.stdin, output: silent, terminal: true });
  let cancelled = false;
  rl.on('SIGINT', () => {
    cancelled = true;
    rl.close();
  });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (label: string): Promise<string> => {
    io.stderr.write(label);
    const line = await lines.next();
    io.stderr.write('\n');
    if (line.done) {
      throw new UsageError(cancelled ? 'Password entry cancelled.' : 'No password entered: the input ended.');
    }
    return line.value;
  };
  try {
    const password = await ask('Password: ');
    assertUsable(password, 'the prompt');
    if ((await ask('Confirm password: ')) !== password) {
      throw new UsageError('The two passwords do not match. Run the command again.');
    }
    return password;
  } finally {
    rl.close();
  }
}

// 64 symbols, so a random byte's low six bits pick one without bias: 6 bits of entropy each.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const GENERATED_LENGTH = 32;

export function generatePassword(random: (size: number) => Buffer): string {
  // Redraw until every character class is present, so the password meets any
  // password_config.policy up to a minimum length of 32.
  for (;;) {
    const candidate = Array.from(random(GENERATED_LENGTH), (byte) => ALPHABET[byte & 63]).join('');
    if (/[a-z]/.test(candidate) && /[A-Z]/.test(candidate) && /[0-9]/.test(candidate) && /[-_]/.test(candidate)) {
      return candidate;
    }
  }
}
