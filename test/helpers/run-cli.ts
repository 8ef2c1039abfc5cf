// Drives the CLI in-process, with captured streams, a fixed clock and seeded randomness.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli.js';
import { parseCommandLine, type ParsedCommandLine } from '../../src/parse-command-line.js';
import type { Io } from '../../src/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The one JSON object a --json run printed. */
  json(): Record<string, any>;
}

export interface CliOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  now?: number;
  /** Pretend stdin is a terminal (no one will type, though). */
  tty?: boolean;
}

export const FIXED_NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function testIo(opts: CliOptions, stdout: PassThrough, stderr: PassThrough): Io {
  return {
    stdin: Object.assign(Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]), { isTTY: opts.tty }),
    stdout,
    stderr,
    // No PG* variables from the developer's shell leak into a test.
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    now: () => opts.now ?? FIXED_NOW,
    randomBytes,
  };
}

/** argv in, options out: what the command's handler would get, without running it. */
export function parse(argv: string[], opts: CliOptions = {}): Promise<ParsedCommandLine> {
  return parseCommandLine(argv, testIo(opts, sink().stream, sink().stream));
}

export async function cli(argv: string[], opts: CliOptions = {}): Promise<CliRun> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, testIo(opts, stdout.stream, stderr.stream));
  const out = stdout.text();
  return {
    code,
    stdout: out,
    stderr: stderr.text(),
    json: () => {
      const lines = out.trim().split('\n');
      if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got:\n${out}`);
      return JSON.parse(lines[0]!);
    },
  };
}
