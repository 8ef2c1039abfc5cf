// libpq's password file (~/.pgpass, PGPASSFILE, args.passfile), read by libpq's own rules
// (passwordFromFile in fe-connect.c). We read it ourselves and hand pg the password: pg's own
// fallback to the pgpass module prints a DeprecationWarning on every run, and it knows neither
// libpq's "localhost" for the default socket directory nor its permission check.
import { readFile, stat } from 'node:fs/promises';

export interface PassfileQuery {
  host: string;
  port: number;
  database: string;
  user: string;
}

export type PassfileResult =
  | { found: true; password: string }
  /** Why nothing came from it, for the message that asks for a password. */
  | { found: false; reason: string };

/**
 * libpq matches the default socket directory as "localhost" (DEFAULT_PGSOCKET_DIR; Debian's
 * libpq, which Synapse's packages use, has /var/run/postgresql).
 */
export async function passwordFromPassfile(file: string, query: PassfileQuery, defaultSocketDir: string): Promise<PassfileResult> {
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    return { found: false, reason: info.code === 'ENOENT' ? `there is no passfile ${file}` : `the passfile ${file} cannot be read (${info.code})` };
  }
  if (!info.isFile()) return { found: false, reason: `the passfile ${file} is not a plain file, so libpq ignores it` };
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    return {
      found: false,
      reason: `the passfile ${file} can be read by group or others, so libpq ignores it (chmod 600 ${file})`,
    };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { found: false, reason: `the passfile ${file} cannot be read (${(err as NodeJS.ErrnoException).code})` };
  }
  const host = query.host === '' || query.host === defaultSocketDir ? 'localhost' : query.host;
  const wanted = [host, String(query.port), query.database, query.user];
  for (const line of text.split('\n')) {
    const fields = splitLine(line.replace(/\r$/, ''));
    if (fields === undefined || fields.length < 5) continue;
    if (wanted.every((value, i) => fields[i]!.raw === '*' || fields[i]!.value === value)) {
      return { found: true, password: fields[4]!.value };
    }
  }
  return {
    found: false,
    reason: `the passfile ${file} has no line for ${wanted.join(':')} (hostname:port:database:username, * matches anything)`,
  };
}

/**
 * Fields split at unescaped colons, with backslash escapes removed; comment lines are skipped.
 * `raw` keeps the escapes: only an unescaped "*" is a wildcard.
 */
function splitLine(line: string): { raw: string; value: string }[] | undefined {
  if (line.startsWith('#') || line === '') return undefined;
  const fields = [{ raw: '', value: '' }];
  for (let i = 0; i < line.length; i++) {
    const field = fields[fields.length - 1]!;
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) {
      field.raw += ch + line[i + 1];
      field.value += line[++i];
    } else if (ch === ':') {
      fields.push({ raw: '', value: '' });
    } else {
      field.raw += ch;
      field.value += ch;
    }
  }
  return fields;
}
