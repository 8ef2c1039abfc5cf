// The outside world a command talks to, passed in so tests can drive the CLI in-process.
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';

// Every command line makes an Io, `--help` too; Node's crypto, readline and stdin (a stream over
// a TTY, pipe or file) are made ready only when something uses them.
const nodeRequire = createRequire(import.meta.url);

export interface Io {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Milliseconds since the epoch. */
  now: () => number;
  randomBytes: (n: number) => Buffer;
}

export function processIo(): Io {
  return {
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    randomBytes: (n) => (nodeRequire('node:crypto') as typeof import('node:crypto')).randomBytes(n),
  };
}

/** Everything a stream gives until it ends (stdin for --password-stdin and `apply -`). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export function isInteractive(io: Io): boolean {
  return io.stdin.isTTY === true;
}

/** A yes/no question on the terminal; the answer defaults to no. */
export async function askYesNo(io: Io, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
