// MAS's row ids: a ULID (48-bit millisecond time first, then 80 random bits) stored in a PostgreSQL
// uuid column (Uuid::from_u128). MAS's job queue and cursors order by id, so ours must be ULIDs
// made at the row's created_at too.
import { randomBytes } from 'node:crypto';
import { uuidToULID } from 'ulid';

/** A new id for a row created at `now` (ms since the epoch), in the uuid form the column takes. */
export function newMasId(now: number): string {
  // The ulid package's ulid(time) quietly takes the current time for 0 or NaN; the bytes are
  // written here so the id holds exactly `now`, or nothing.
  if (!Number.isSafeInteger(now) || now < 0 || now >= 2 ** 48) throw new RangeError(`A ULID cannot hold the time ${now}`);
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The 26-character ULID of a uuid column's value: what MAS puts in job payloads and OIDC `sub`. */
export function ulidOf(uuid: string): string {
  return uuidToULID(uuid);
}
