// Which bcrypt hash strings a login can check, for apply's password_hash. Synapse's login
// (synapse/handlers/auth.py validate_hash) hands the stored string to Python's bcrypt checkpw,
// which (pyca/bcrypt 4 and later) splits it at `$`, takes 2a, 2b, 2x or 2y and a cost, and decodes
// the 22 characters after it as the salt, strictly: 16 bytes leave 4 bits of the last character
// unused, so it must be one of `.Oeu`. A cost outside 4..31 or a salt that does not decode raises
// ValueError("Invalid salt"), which Synapse answers with HTTP 500. checkpw then compares bcrypt's own
// output with the stored string, so only that exact shape can ever match: a two-digit cost and 31
// hash characters (23 bytes: the last character is one of `.CGKOSWaeimquy26`).

/**
 * The highest cost apply takes, unless the server hashes at a higher one itself. Each step doubles
 * the work: cost 12 (Synapse's and MAS's default) takes about a quarter of a second, 16 about 4 s,
 * 20 about a minute, past a reverse proxy's usual 60 s timeout, and 31 about 36 hours. Every
 * attempt holds one of the server's hashing threads that long, so a few attempts stall all logins.
 */
const LOGIN_COST_LIMIT = 16;

/** The highest cost a login may need: LOGIN_COST_LIMIT, or the server's own cost when higher. */
export function loginCostLimit(serverCost: unknown): number {
  return typeof serverCost === 'number' && Number.isInteger(serverCost) && serverCost <= 31 ? Math.max(LOGIN_COST_LIMIT, serverCost) : LOGIN_COST_LIMIT;
}

const SHAPE = /^\$(2[abxy])\$([0-9]{2})\$(.{22})(.*)$/s;
const SALT = /^[./A-Za-z0-9]{21}[.Oeu]$/;
const DIGEST = /^[./A-Za-z0-9]{30}[.CGKOSWaeimquy26]$/;

/**
 * Why Synapse's login could not check `hash`, as a clause after "password_hash of @user", or
 * undefined when it can. Never quotes the hash.
 */
export function bcryptHashFlaw(hash: string, maxCost: number): string | undefined {
  const m = SHAPE.exec(hash);
  if (m === null) {
    return 'is not a bcrypt hash as Synapse stores them ($2b$, $2a$ or $2y$, a two-digit cost, $, then 53 characters)';
  }
  const [, prefix, costText, salt, digest] = m as unknown as [string, string, string, string, string];
  // pyca/bcrypt 4 computes $2x$ like $2b$, but older releases refuse it: it marks hashes of a
  // bcrypt with a known bug, made by nothing that writes Synapse's hashes.
  if (prefix === '2x') return 'is a $2x$ hash (the mark of a buggy old bcrypt), which older Synapse installs cannot check';
  if (!SALT.test(salt)) {
    return 'has a salt that bcrypt cannot decode (22 characters of ./A-Za-z0-9, the last one of . O e u): Synapse would answer each login with HTTP 500 ("Invalid salt")';
  }
  if (!DIGEST.test(digest)) {
    return 'does not end in the 31 characters bcrypt writes (of ./A-Za-z0-9, the last one of .CGKOSWaeimquy26), so no password could ever match it';
  }
  const cost = Number(costText);
  if (cost < 4 || cost > 31) return `has cost ${costText}, but bcrypt takes 4 to 31: Synapse would answer each login with HTTP 500 ("Invalid salt")`;
  return costFlaw(cost, maxCost);
}

/** Why a login at this bcrypt cost would take too long, as bcryptHashFlaw says it, if it would. */
export function costFlaw(cost: number, maxCost: number): string | undefined {
  if (cost <= maxCost) return undefined;
  return (
    `has cost ${cost}: each login would take ${2 ** (cost - 12)} times as long as at cost 12 (the default), holding one of the server's threads all along. ` +
    `apply takes a cost of at most ${maxCost} (${LOGIN_COST_LIMIT}, or the server's own cost when higher)`
  );
}
