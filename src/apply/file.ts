// An apply file (YAML or JSON) read into the state it declares, with every problem it has and the
// line each is on. Nothing here knows a database: the rules that depend on the server come in as
// FileRules, so that every backend (Synapse's users, MAS's) reads files the same way.
import { LineCounter, isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { decodeYamlBytes, linePosition, parseYaml, yamlProblemMessage } from '../config/yaml-reader.js';
import { ToolError } from '../errors.js';
import { checkDisplayname } from '../synapse/limits.js';
import { MAX_USER_ID_LENGTH, parseUserArg } from '../synapse/user-id.js';

export type PasswordSpec =
  | { kind: 'file'; path: string }
  | { kind: 'hash'; hash: string }
  | { kind: 'random' };

export interface DesiredUser {
  /** Where the entry begins, for messages. */
  line: number;
  userId: string;
  localpart: string;
  /** Omitted: false for a new user, left as it is for an existing one (false with admins: exclusive). */
  admin?: boolean;
  password?: PasswordSpec;
  /** Omitted: the localpart, as register and Synapse do. Only set on creation. */
  displayname?: string;
  /** Omitted: user_types.default_user_type; null: a regular user. Only set on creation. */
  userType?: string | null;
  /** adopt: true: a user only Synapse has is adopted into MAS (`adopt`), not refused. */
  adopt?: boolean;
}

export type UpdatePassword = 'on_create' | 'always';

export interface DesiredState {
  users: DesiredUser[];
  /** admins: exclusive: every admin not listed with admin: true loses admin. */
  exclusiveAdmins: boolean;
  updatePassword: UpdatePassword;
}

export interface Problem {
  line?: number;
  /** Given where the place within the line matters: a bad byte, a YAML syntax error. */
  column?: number;
  message: string;
}

/** The server's rules the file is checked against. */
export interface FileRules {
  serverName: string;
  userTypes: readonly string[];
  /** Why the server reserves a user ID for someone else (server notices, an app service), if it does. */
  reservedFor(userId: string): string | undefined;
  /** Why the server could not check logins against this password_hash, if it could not (never quoting it). */
  passwordHashProblem(userId: string, hash: string): string | undefined;
  /** Set when the server has no user types: why user_type is refused. */
  userTypesRefused?: string;
  /** Set when the server takes no passwords: why every password source is refused. */
  passwordsRefused?: string;
  /** Set when users only Synapse has can be adopted (MAS): `adopt: true` is refused otherwise. */
  adopts?: boolean;
}

// A file with a million bad entries would print a million lines: the first ones show what is
// wrong, and fixing those usually fixes the rest.
const MAX_PROBLEMS_SHOWN = 50;

/** Every problem a file has, each with its line (the first MAX_PROBLEMS_SHOWN of them); nothing was written. */
export class ApplyFileError extends ToolError {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
    kind: 'usage' | 'account_state' = 'usage',
  ) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
    const more = problems.length - shown.length;
    const where = (p: Problem) => `${file}${p.line === undefined ? '' : `:${p.line}`}${p.line === undefined || p.column === undefined ? '' : `:${p.column}`}`;
    super(
      `${file} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; nothing was changed. ` +
        `Fix ${problems.length === 1 ? 'it' : 'them'} and run apply again:\n` +
        shown.map((p) => `  ${where(p)}: ${p.message}`).join('\n') +
        (more > 0 ? `\n  … and ${more} more (only the first ${MAX_PROBLEMS_SHOWN} are listed)` : ''),
      kind,
    );
    this.details = {
      problems: shown.map((p) => ({ line: p.line ?? null, ...(p.column === undefined ? {} : { column: p.column }), message: p.message })),
      problem_count: problems.length,
    };
  }
}

const TOP_KEYS = ['users', 'admins', 'update_password'] as const;
const USER_KEYS = ['user', 'admin', 'password_file', 'password_hash', 'random_password', 'displayname', 'user_type', 'adopt'] as const;
const PASSWORD_KEYS = ['password_file', 'password_hash', 'random_password'] as const;
// A value under any of these keys may be a password typed into the wrong place: a message says
// its type, never the value. update_password takes on_create or always, and says so.
const SECRET_KEY = /passw|secret|token|hash|pepper|credential|private/i;
const isSecretKey = (key: string) => key !== 'update_password' && ((PASSWORD_KEYS as readonly string[]).includes(key) || SECRET_KEY.test(key));

export interface ReadOptions {
  /**
   * The file came through a pipe, which a failed writer can cut short at a line boundary, leaving
   * valid YAML that declares less: such input must prove it ended, with YAML's document end
   * marker `...` or by being one JSON object (whose closing brace proves it).
   */
  mustShowEnd?: boolean;
}

/**
 * Reads a file (YAML, or JSON, which YAML 1.2 reads the same) into the state it declares. Bytes
 * are held to the rules config files are (src/config/yaml-reader.ts): UTF-8 only, no unknown
 * tags, one document, nesting within reason.
 */
export function readApplyFile(input: string | Buffer, rules: FileRules, opts: ReadOptions = {}): { state: DesiredState; problems: Problem[] } {
  const state: DesiredState = { users: [], exclusiveAdmins: false, updatePassword: 'on_create' };
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    const decoded = decodeYamlBytes(input);
    if ('problem' in decoded) {
      const { line, col, byte, guess } = decoded.problem;
      return {
        state,
        problems: [
          {
            line,
            column: col,
            message:
              `not valid UTF-8 (byte ${byte} of the file${guess === undefined ? '' : `; it looks like ${guess}`}): apply reads files as UTF-8 ` +
              'and never guesses another encoding. Save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)',
          },
        ],
      };
    }
    text = decoded.text;
  }
  const lines = new LineCounter();
  // The shared reader's messages never quote the file: an excerpt could show a password hash.
  const { doc, problems: syntax } = parseYaml(text, { lineCounter: lines, uniqueKeys: true });
  const at = (index: number) => {
    const { line, col } = doc === undefined ? linePosition(text, index) : lines.linePos(index);
    return { line, column: col };
  };
  const problems: Problem[] = syntax.map((p) => ({ ...at(p.index), message: `not valid YAML or JSON: ${yamlProblemMessage(p.code, 'apply')}` }));
  if (doc === undefined || problems.length > 0) return { state, problems };
  if (opts.mustShowEnd && !doc.directives?.docEnd && !(isMap(doc.contents) && doc.contents.flow)) {
    problems.push({
      line: linePosition(text, text.trimEnd().length).line,
      message:
        'stdin ended without the YAML document end marker: YAML read from stdin must end with a line `...` (JSON needs none), ' +
        'so that input cut short is never applied as a shorter file. Add `...` as its last line (in a heredoc, just before the terminator)',
    });
  }
  const deref = (node: unknown) => (isAlias(node) ? (node.resolve(doc as Document) as Node | undefined) : (node as Node | undefined));
  const lineOf = (node: { range?: [number, number, number] | null } | null | undefined) =>
    node?.range ? lines.linePos(node.range[0]).line : undefined;
  const top = deref(doc.contents);
  if (!isMap(top)) {
    problems.push({ line: lineOf(top) ?? 1, message: 'the file must be a mapping with a `users:` list (see the README)' });
    return { state, problems };
  }
  const problem = (node: { range?: [number, number, number] | null } | null | undefined, message: string) =>
    problems.push({ line: lineOf(node), message });

  for (const pair of pairs(top)) {
    const key = keyName(pair, deref);
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      problem(pair.key as Node, `unknown key ${quoted(key)}: the top level takes ${TOP_KEYS.join(', ')}`);
    }
  }
  const admins = deref(top.get('admins', true));
  if (admins !== undefined) {
    if (isScalar(admins) && admins.value === 'exclusive') state.exclusiveAdmins = true;
    else problem(admins, `admins must be "exclusive" (or be left out), not ${shown(admins)}`);
  }
  const update = deref(top.get('update_password', true));
  if (update !== undefined) {
    if (isScalar(update) && (update.value === 'on_create' || update.value === 'always')) state.updatePassword = update.value;
    else problem(update, `update_password must be on_create or always, not ${shown(update)}`);
  }
  const users = deref(top.get('users', true));
  if (users === undefined) {
    problems.push({ line: 1, message: 'the file has no `users:` list; write `users: []` to declare none' });
    return { state, problems };
  }
  if (!isSeq(users)) {
    problem(users, `users must be a list, not ${shown(users)}`);
    return { state, problems };
  }
  const seen = new Map<string, DesiredUser>();
  for (const written of users.items as Node[]) {
    const item = deref(written);
    // An alias's entry is reported where the alias is written, not at its anchor.
    const here = (n: Node | null | undefined) => (n === item ? written : n);
    const user =
      item === undefined ? undefined : readUser(item, rules, (n, message) => problem(here(n as Node), message), (n) => lineOf(here(n)), deref);
    if (user === undefined) continue;
    const key = user.userId.toLowerCase();
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, user);
      state.users.push(user);
    } else if (first.userId === user.userId) {
      problems.push({ line: user.line, message: `${user.userId} is listed twice (first on line ${first.line})` });
    } else {
      problems.push({
        line: user.line,
        message: `${user.userId} and ${first.userId} (line ${first.line}) differ only in case; Synapse treats user IDs case-insensitively, so they are one user. List it once`,
      });
    }
  }
  return { state, problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}

type Report = (node: { range?: [number, number, number] | null } | null | undefined, message: string) => void;

function readUser(
  item: Node,
  rules: FileRules,
  problem: Report,
  lineOf: (node: Node | null | undefined) => number | undefined,
  deref: (node: unknown) => Node | undefined,
): DesiredUser | undefined {
  if (!isMap(item)) {
    problem(item, `each entry of users must be a mapping with at least \`user:\`, not ${shown(item)}`);
    return undefined;
  }
  for (const pair of pairs(item)) {
    const key = keyName(pair, deref);
    if (!(USER_KEYS as readonly string[]).includes(key)) {
      problem(pair.key as Node, `unknown key ${quoted(key)} in a user: use ${USER_KEYS.join(', ')}`);
    }
  }
  const field = (key: string) => deref(item.get(key, true));
  const userNode = field('user');
  if (userNode === undefined) {
    problem(item, 'this entry has no `user:` (a localpart or a full user ID)');
    return undefined;
  }
  if (!isScalar(userNode) || typeof userNode.value !== 'string') {
    problem(userNode, `user must be a string (quote it), not ${shown(userNode)}`);
    return undefined;
  }
  // Checked before the user ID's own rules, whose messages quote it whole.
  if (codePoints(userNode.value) > MAX_USER_ID_LENGTH) {
    problem(userNode, `user is ${shown(userNode)}: a user ID has at most ${MAX_USER_ID_LENGTH} characters`);
    return undefined;
  }
  let parsed;
  try {
    parsed = parseUserArg(userNode.value, rules.serverName);
  } catch (err) {
    problem(userNode, (err as Error).message);
    return undefined;
  }
  const user: DesiredUser = { line: lineOf(item) ?? 1, ...parsed };
  const reserved = rules.reservedFor(user.userId);
  if (reserved !== undefined) problem(userNode, `${user.userId} is reserved: ${reserved}. Remove it from the file`);

  const admin = field('admin');
  if (admin !== undefined) user.admin = boolean(admin, 'admin', problem);
  const adopt = field('adopt');
  if (adopt !== undefined && boolean(adopt, 'adopt', problem) === true) {
    if (rules.adopts === true) user.adopt = true;
    else problem(adopt, `${user.userId} has adopt: true, but adoption is for servers whose logins belong to matrix-authentication-service (MAS); here Synapse owns its users. Remove it`);
  }
  const sources = PASSWORD_KEYS.filter((k) => field(k) !== undefined && !(k === 'random_password' && isFalse(field(k)!)));
  if (sources.length > 0 && rules.passwordsRefused !== undefined) {
    problem(field(sources[0]!), `${user.userId} has ${sources[0]}, but ${rules.passwordsRefused}`);
  }
  if (sources.length > 1) {
    problem(field(sources[1]!), `${user.userId} has ${sources.join(' and ')}: give one password source`);
  }
  const passwordFile = field('password_file');
  if (passwordFile !== undefined) {
    const path = string(passwordFile, 'password_file', problem);
    if (path === '') problem(passwordFile, 'password_file is empty: give the path of a file holding the password');
    else if (path !== undefined) user.password = { kind: 'file', path };
  }
  const passwordHash = field('password_hash');
  if (passwordHash !== undefined) {
    const hash = string(passwordHash, 'password_hash', problem);
    const bad = hash === undefined ? undefined : rules.passwordHashProblem(user.userId, hash);
    if (bad !== undefined) problem(passwordHash, bad);
    else if (hash !== undefined && user.password === undefined) user.password = { kind: 'hash', hash };
  }
  const random = field('random_password');
  if (random !== undefined && boolean(random, 'random_password', problem) === true && user.password === undefined) {
    user.password = { kind: 'random' };
  }
  const displayname = field('displayname');
  if (displayname !== undefined) {
    const name = string(displayname, 'displayname', problem);
    if (name !== undefined) {
      try {
        checkDisplayname(name, `displayname of ${user.userId}`);
        user.displayname = name;
      } catch (err) {
        problem(displayname, (err as Error).message.replace(/\.$/, ''));
      }
    }
  }
  const userType = field('user_type');
  if (userType !== undefined && rules.userTypesRefused !== undefined) {
    problem(userType, `${user.userId} has user_type, but ${rules.userTypesRefused}`);
  } else if (userType !== undefined) {
    if (isScalar(userType) && userType.value === null) user.userType = null;
    else {
      const type = string(userType, 'user_type', problem);
      if (type !== undefined && !rules.userTypes.includes(type)) {
        problem(userType, `user_type ${quoted(type)} is not a user type of this server: use ${rules.userTypes.join(', ')}, or null for a regular user (user_types.extra_user_types adds more)`);
      } else if (type !== undefined) user.userType = type;
    }
  }
  return user;
}

function pairs(map: YAMLMap): Pair[] {
  return map.items as Pair[];
}

function keyName(pair: Pair, deref: (node: unknown) => Node | undefined): string {
  const key = deref(pair.key);
  return isScalar(key) ? String(key.value) : String(key);
}

function isFalse(node: Node): boolean {
  return isScalar(node) && node.value === false;
}

// YAML's own booleans only (true, false, True, FALSE...): `yes` or a quoted "true" is a string in
// YAML 1.2 and JSON, and a file that means one thing to one reader and another to the next is
// refused rather than guessed at.
function boolean(node: Node, key: string, problem: Report): boolean | undefined {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  problem(node, `${key} must be true or false (unquoted), not ${shown(node, key)}`);
  return undefined;
}

function string(node: Node, key: string, problem: Report): string | undefined {
  if (isScalar(node) && typeof node.value === 'string') return node.value;
  problem(node, `${key} must be a string, not ${shown(node, key)}`);
  return undefined;
}

// Enough of a value to recognise it; a 10 MB user ID is not printed whole.
const SHOWN_CHARS = 40;

/** Characters as Synapse counts them (code points), without an array of a 10 MB string's characters. */
function codePoints(value: string): number {
  return value.length - (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

/** A string for a message: quoted, and shortened with its length when long. */
function quoted(value: string): string {
  const length = codePoints(value);
  if (length <= SHOWN_CHARS) return JSON.stringify(value);
  const start = Array.from(value.slice(0, 2 * SHOWN_CHARS)).slice(0, SHOWN_CHARS).join('');
  return `${JSON.stringify(`${start}…`)} (${length} characters)`;
}

/**
 * A value for a message: a scalar as written, else its kind. Under a key that may hold a secret
 * (random_password: "the password", password_file: 123456), only the value's type: the file may
 * have a password in the wrong place, and output is logged.
 */
function shown(node: Node | null | undefined, key?: string): string {
  if (isScalar(node)) {
    const value = node.value;
    if (key !== undefined && isSecretKey(key)) {
      const kind = typeof value === 'string' ? 'a string' : typeof value === 'number' || typeof value === 'bigint' ? 'a number' : value === null ? 'null' : `a ${typeof value}`;
      return `${kind} (the value is not shown: it may be a password)`;
    }
    return typeof value === 'string' ? `the string ${quoted(value)}` : String(value);
  }
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  return 'nothing';
}
