// Limits Synapse puts on values a client sends, applied to the same values given on the command
// line, so that nothing is written that Synapse would have refused. Synapse compares Python's len(),
// which counts code points, not UTF-16 units or bytes.
import { UsageError } from '../errors.js';

// synapse/handlers/profile.py MAX_DISPLAYNAME_LEN: set_displayname refuses longer names, and
// room_member.py refuses a join whose member event carries one, so the user could not join rooms.
export const MAX_DISPLAYNAME_LENGTH = 256;
// synapse/rest/client/login.py: "device_id cannot be longer than 512 characters".
export const MAX_DEVICE_ID_LENGTH = 512;

// Synapse stores control characters it is sent, except NUL, which PostgreSQL cannot store in text
// at all. On a command line they come from quoting slips, and clients show them as garbage, so
// all of them (C0, DEL, C1) are refused.
const CONTROL = /\p{Cc}/u;

const codePoints = (s: string) => [...s].length;

function controlCharacter(value: string): string | undefined {
  const c = CONTROL.exec(value)?.[0];
  return c === undefined ? undefined : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A display name (`--displayname`, or `given` as named): empty means no display name, as in Synapse. */
export function checkDisplayname(name: string, given = '--displayname'): void {
  const length = codePoints(name);
  if (length > MAX_DISPLAYNAME_LENGTH) {
    throw new UsageError(
      `${given} is ${length} characters long; Synapse allows at most ${MAX_DISPLAYNAME_LENGTH}. Give a shorter one.`,
    );
  }
  const control = controlCharacter(name);
  if (control !== undefined) {
    throw new UsageError(`${given} contains the control character ${control}. Check its quoting.`);
  }
}

export function checkDeviceId(deviceId: string): void {
  if (deviceId === '') {
    throw new UsageError('--device-id is empty. Give a device ID, or leave out --device-id for a token without a device.');
  }
  const length = codePoints(deviceId);
  if (length > MAX_DEVICE_ID_LENGTH) {
    throw new UsageError(
      `--device-id is ${length} characters long; Synapse's login allows at most ${MAX_DEVICE_ID_LENGTH}. Give a shorter one.`,
    );
  }
  const control = controlCharacter(deviceId);
  if (control !== undefined) {
    throw new UsageError(`--device-id contains the control character ${control}. Check the quoting of the argument.`);
  }
  if (deviceId.trim() !== deviceId) {
    throw new UsageError(
      `--device-id "${deviceId}" begins or ends with whitespace, which is almost always a quoting slip. Remove it.`,
    );
  }
}
