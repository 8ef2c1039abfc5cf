// User IDs as Synapse reads them (synapse/types/__init__.py) and as it allows them for new users
// (synapse/handlers/register.py check_username). Parsing is deliberately looser than
// registration: servers carry historical IDs (upper case, '!', even non-ASCII) that must stay
// reachable for promote, demote and the recovery commands.
import { UsageError } from '../errors.js';

export interface ParsedUser {
  userId: string;
  localpart: string;
}

export interface NewLocalpartOptions {
  /** homeserver.yaml `allow_underscore_prefixed_localpart` (default false). */
  allowUnderscorePrefix?: boolean;
}

// synapse/api/constants.py MAX_USERID_LENGTH; check_username compares Python's len(), which
// counts code points.
export const MAX_USER_ID_LENGTH = 255;
const NEW_LOCALPART_CHARS = /^[a-z0-9._=\-/+]*$/;
const NOT_NEW_LOCALPART_CHAR = /[^a-z0-9._=\-/+]/gu;
const ALLOWED_DESCRIPTION = "a-z, 0-9 and the symbols . _ = - / +";
// Whitespace and control characters cannot be part of any user ID and usually mean a quoting slip
// (a trailing space or newline in a template variable).
const NEVER_IN_USER_ID = /[\p{Cc}\p{Z}\p{White_Space}]/u;

/** A `<user>` argument: a localpart (`alice`) or a full ID of this server (`@alice:example.org`). */
export function parseUserArg(arg: string, serverName: string): ParsedUser {
  // Checked on the whole argument first, so that "@alice:example.org " is not blamed on the server name.
  refuseWhitespaceAndControl(arg);
  let localpart: string;
  if (arg.startsWith('@')) {
    // Like Synapse's UserID.from_string: the domain is everything after the first ':'.
    const colon = arg.indexOf(':');
    if (colon === -1) {
      throw new UsageError(
        `"${arg}" is not a full user ID: it lacks ":<server name>". ` +
          `Give @${arg.slice(1)}:${serverName} or just the localpart "${arg.slice(1)}".`,
      );
    }
    localpart = arg.slice(1, colon);
    const domain = arg.slice(colon + 1);
    if (domain !== serverName) {
      throw new UsageError(
        `${arg} belongs to the server "${domain}", but this homeserver's server_name is ` +
          `"${serverName}". This tool only changes users of its own server: give a localpart ` +
          `or an ID ending in ":${serverName}".`,
      );
    }
  } else {
    if (arg.includes(':')) {
      throw new UsageError(
        `"${arg}" is neither a localpart nor a full user ID. A full user ID starts with '@', ` +
          `like @${arg.split(':')[0]}:${serverName}.`,
      );
    }
    localpart = arg;
  }
  if (localpart === '') {
    throw new UsageError(`The user "${arg}" has an empty localpart. Give a name like alice or @alice:${serverName}.`);
  }
  return { userId: `@${localpart}:${serverName}`, localpart };
}

/** Throws a UsageError when Synapse would refuse to register `localpart`, saying what is allowed. */
export function validateNewLocalpart(
  localpart: string,
  serverName: string,
  options: NewLocalpartOptions = {},
): void {
  if (localpart === '') {
    throw new UsageError(`A new user needs a localpart: use ${ALLOWED_DESCRIPTION}.`);
  }
  if (!NEW_LOCALPART_CHARS.test(localpart)) {
    const lower = localpart.toLowerCase();
    if (NEW_LOCALPART_CHARS.test(lower)) {
      throw new UsageError(
        `New user IDs must be lower case: use "${lower}" instead of "${localpart}" ` +
          "(Synapse's own registration lower-cases it the same way).",
      );
    }
    const offending = [...new Set(localpart.match(NOT_NEW_LOCALPART_CHAR))].map(describeChar);
    throw new UsageError(
      `"${localpart}" cannot be a new user's localpart: it contains ${offending.join(', ')}. ` +
        `Synapse allows only ${ALLOWED_DESCRIPTION} for new users.`,
    );
  }
  if (localpart.startsWith('_') && !options.allowUnderscorePrefix) {
    throw new UsageError(
      `"${localpart}" begins with '_', which Synapse reserves (application services use it). ` +
        'Choose another name, or set allow_underscore_prefixed_localpart: true in homeserver.yaml.',
    );
  }
  if (/^[0-9]+$/.test(localpart)) {
    throw new UsageError(
      `"${localpart}" is all digits; Synapse reserves numeric user IDs for guest users. ` +
        'Add a letter or another allowed symbol.',
    );
  }
  const userId = `@${localpart}:${serverName}`;
  const length = [...userId].length;
  if (length > MAX_USER_ID_LENGTH) {
    throw new UsageError(
      `${userId.slice(0, 40)}… is ${length} characters long; Synapse allows at most ` +
        `${MAX_USER_ID_LENGTH} for the whole user ID. Choose a localpart of at most ` +
        `${MAX_USER_ID_LENGTH - (length - [...localpart].length)} characters.`,
    );
  }
}

function refuseWhitespaceAndControl(arg: string): void {
  const chars = [...arg];
  const space = (c: string | undefined) => c !== undefined && /\p{White_Space}/u.test(c);
  const [where, bad] = space(chars[0])
    ? ['begins with', chars[0]!]
    : space(chars.at(-1))
      ? ['ends with', chars.at(-1)!]
      : ['contains', NEVER_IN_USER_ID.exec(arg)?.[0]];
  if (bad === undefined) return;
  const what = space(bad) ? `whitespace (${describeChar(bad)})` : `the control character ${describeChar(bad)}`;
  throw new UsageError(
    `The user ${JSON.stringify(arg)} ${where} ${what}, which no user ID can contain. ` +
      'Remove it: check the quoting of the argument, or a variable that carries a stray space or newline.',
  );
}

function describeChar(char: string): string {
  const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return /[\p{L}\p{N}\p{P}\p{S}]/u.test(char) ? `'${char}' (${code})` : code;
}
