// MAS's row ids: a ULID (time first, then 80 random bits) stored in a PostgreSQL uuid column. MAS's
// job queue and cursors order by id, so ours must be ULIDs made at the row's created_at too.
import { ulid, ulidToUUID, uuidToULID } from 'ulid';

/** A new id for a row created at `now` (ms since the epoch), in the uuid form the column takes. */
export function newMasId(now: number): string {
  return ulidToUUID(ulid(now)).toLowerCase();
}

/** The 26-character ULID of a uuid column's value: what MAS puts in job payloads and OIDC `sub`. */
export function ulidOf(uuid: string): string {
  return uuidToULID(uuid);
}
