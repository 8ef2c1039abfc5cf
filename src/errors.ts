// The exit-code table is the tool's contract with scripts: README and --help print it from here.
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIG: 3,
  DATABASE: 4,
  USER_NOT_FOUND: 5,
  USER_EXISTS: 6,
  ACCOUNT_STATE: 7,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP: ReadonlyArray<readonly [ExitCodeValue, string]> = [
  [ExitCode.OK, 'success, also when there was nothing to change'],
  [ExitCode.INTERNAL, 'internal error (a bug: please report it)'],
  [ExitCode.USAGE, 'usage: bad arguments, invalid or foreign user ID, password refused'],
  [ExitCode.CONFIG, 'configuration: not found, unreadable, invalid YAML, no or unsupported database, database of another server_name, no database password, matrix-authentication-service config not found or not matching'],
  [ExitCode.DATABASE, "database: cannot connect, read-only or refusing, not a Synapse database, schema too old or too new, busy too long; --live: the running Synapse's Admin API cannot be used or failed"],
  [ExitCode.USER_NOT_FOUND, 'user not found (check: no usable admin)'],
  [ExitCode.USER_EXISTS, 'user already exists'],
  [ExitCode.ACCOUNT_STATE, "the account's state forbids it (deactivated, guest, app-service user, locked)"],
];

/**
 * The --json error's `kind`: scripts branch on it, so it is a closed set, each with its exit code.
 * README documents them with the exit codes.
 */
export const ERROR_KINDS = {
  usage: ExitCode.USAGE,
  config: ExitCode.CONFIG,
  database: ExitCode.DATABASE,
  database_unreachable: ExitCode.DATABASE,
  database_busy: ExitCode.DATABASE,
  database_read_only: ExitCode.DATABASE,
  database_permission: ExitCode.DATABASE,
  database_unavailable: ExitCode.DATABASE,
  schema: ExitCode.DATABASE,
  admin_api: ExitCode.DATABASE,
  user_not_found: ExitCode.USER_NOT_FOUND,
  no_admin: ExitCode.USER_NOT_FOUND,
  user_exists: ExitCode.USER_EXISTS,
  account_state: ExitCode.ACCOUNT_STATE,
  internal: ExitCode.INTERNAL,
} as const satisfies Record<string, ExitCodeValue>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** The kinds that carry exit code C. */
type KindOf<C extends ExitCodeValue> = { [K in ErrorKind]: (typeof ERROR_KINDS)[K] extends C ? K : never }[ErrorKind];

/** Every error the tool expects carries its exit code and a message that says what to do next. */
export class ToolError extends Error {
  /** Extra fields for the --json error object. */
  details: Record<string, unknown> = {};

  readonly exitCode: ExitCodeValue;

  constructor(
    message: string,
    readonly kind: Exclude<ErrorKind, 'internal'>,
  ) {
    super(message);
    this.exitCode = ERROR_KINDS[kind];
    this.name = new.target.name;
  }
}

export class UsageError extends ToolError {
  constructor(message: string) {
    super(message, 'usage');
  }
}

export class ConfigError extends ToolError {
  constructor(message: string) {
    super(message, 'config');
  }
}

export class DatabaseError extends ToolError {
  constructor(message: string, kind: KindOf<typeof ExitCode.DATABASE> = 'database') {
    super(message, kind);
  }
}

/** Connected, but the database is not a Synapse database this tool understands. */
export class SchemaError extends DatabaseError {
  constructor(message: string) {
    super(message, 'schema');
  }
}

export class UserNotFoundError extends ToolError {
  constructor(
    readonly userId: string,
    hint: string,
  ) {
    super(`User ${userId} does not exist. ${hint}`, 'user_not_found');
  }
}

export class UserExistsError extends ToolError {
  constructor(
    readonly userId: string,
    hint: string,
  ) {
    super(`User ${userId} already exists. ${hint}`, 'user_exists');
  }
}

export class AccountStateError extends ToolError {
  constructor(message: string) {
    super(message, 'account_state');
  }
}

export function exitCodeOf(err: unknown): ExitCodeValue {
  return err instanceof ToolError ? err.exitCode : ExitCode.INTERNAL;
}
