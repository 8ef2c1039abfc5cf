// The outside world a command talks to, passed in so tests can drive the CLI in-process.
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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

/**
 * Everything a stream gives until it ends (stdin for --password-stdin and `apply -`), but never more
 * than `limit` bytes: past it, reading stops and `tooLarge` says why, so /dev/zero cannot fill memory.
 */
export async function readAll(stream: NodeJS.ReadableStream, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early (the throw) destroys the stream: nothing more is read.
  for await (const chunk of stream) {
    const bytes = Buffer.from(chunk);
    size += bytes.length;
    if (size > limit) throw tooLarge();
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

export interface LimitedFileRead {
  /** Bytes accepted; one more is refused with `tooLarge`. */
  limit: number;
  tooLarge: () => Error;
  /** How long a named FIFO may go without a writer before `noWriter` refuses it. */
  fifoWaitMs: number;
  noWriter: () => Error;
}

// Reads of at most this much at a time: a pipe gives no more at once, a file is read in a few steps.
const READ_STEP = 64 * 1024;

/**
 * A file's bytes, read as `readAll` reads a stream: at most `limit` bytes, so a device such as
 * /dev/zero is refused at once. A pipe (`<(pass show x)`) or named FIFO is read until its writer
 * closes it; opening a named FIFO waits for a writer, and only `fifoWaitMs` long. Errors of the
 * file system (ENOENT, EISDIR...) are thrown as Node gives them.
 */
export async function readFileLimited(path: string, opts: LimitedFileRead): Promise<Buffer> {
  // On this thread, before the open: a FIFO's open blocks one of libuv's threads, and a stat
  // queued behind blocked opens would never start the FIFO's timer.
  const handle = isFifo(path) ? await fifoOpened(path, opts) : await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(Math.min(READ_STEP, opts.limit + 1 - size)), 0, undefined, null);
      if (bytesRead === 0) return Buffer.concat(chunks);
      size += bytesRead;
      if (size > opts.limit) throw opts.tooLarge();
      chunks.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

/**
 * Opening a named FIFO blocks until something opens it for writing (an anonymous pipe never
 * blocks: its writer exists). The open holds one of libuv's threads, and the process cannot end
 * while it waits, so after the wait this process opens the FIFO for writing itself (without
 * blocking, and on this thread: the pool may be full of such opens) and closes it at once, which
 * releases the stuck open. Callers open one FIFO at a time, so the pool keeps threads for the rest.
 */
async function fifoOpened(path: string, opts: LimitedFileRead): Promise<FileHandle> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), opts.fifoWaitMs);
  });
  const opening = open(path, 'r');
  const handle = await Promise.race([opening, waited]).finally(() => clearTimeout(timer));
  if (handle !== undefined) return handle;
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: the open ended meanwhile; it is closed below.
  }
  await opening.then((h) => h.close(), () => undefined);
  throw opts.noWriter();
}

/** Whether `path` is a FIFO (a named pipe, or a pipe such as `<(cmd)` gives), without opening it. */
export function isFifo(path: string): boolean {
  try {
    return statSync(path).isFIFO();
  } catch {
    return false; // The open that follows reports why the path cannot be read.
  }
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
