// Data to stdout, talk to stderr. With --json, stdout carries exactly one object, success or not.
import { ExitCode, ToolError, exitCodeOf, type ErrorKind } from './errors.js';
import type { Io } from './io.js';

export class Output {
  private readonly warnings: string[] = [];

  constructor(
    private readonly io: Io,
    public json: boolean,
    public verbose: boolean,
  ) {}

  /** A warning is said once, even when two steps of a command find the same thing (e.g. the schema). */
  warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.io.stderr.write(`warning: ${message}\n`);
  }

  detail(message: string): void {
    if (this.verbose) this.io.stderr.write(`${message}\n`);
  }

  /** Lines for a person beside the data on stdout (e.g. next to a token): stderr, never with --json. */
  aside(lines: string[]): void {
    if (!this.json) this.io.stderr.write(`${lines.join('\n')}\n`);
  }

  /** Human lines go to stdout; --json prints `data` instead. */
  success(lines: string[], data: Record<string, unknown>): void {
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify({ ok: true, ...data, warnings: this.warnings })}\n`);
    } else if (lines.length > 0) {
      this.io.stdout.write(`${lines.join('\n')}\n`);
    }
  }

  failure(err: unknown): number {
    const code = exitCodeOf(err);
    const message =
      err instanceof ToolError
        ? err.message
        : `Internal error: ${err instanceof Error ? err.message : String(err)}. This is a bug; please report it with the command you ran (without passwords).`;
    if (this.json) {
      const kind: ErrorKind = err instanceof ToolError ? err.kind : 'internal';
      const details = err instanceof ToolError ? err.details : {};
      this.io.stdout.write(`${JSON.stringify({ ok: false, ...details, error: { code, kind, message }, warnings: this.warnings })}\n`);
    }
    this.io.stderr.write(`error: ${message}\n`);
    if (code === ExitCode.INTERNAL && this.verbose && err instanceof Error && err.stack) {
      this.io.stderr.write(`${err.stack}\n`);
    }
    return code;
  }
}
