// set-password's one flow on every store (src/accounts/password-flow.ts): the user is looked at
// first; a password nobody types is read and hashed meanwhile, its errors said after the look.
import { describe, expect, it } from 'vitest';
import { passwordAfterLookup } from '../src/accounts/password-flow.js';

function recorder() {
  const events: string[] = [];
  let release!: () => void;
  const lookupGate = new Promise<void>((r) => (release = r));
  return { events, release, lookupGate };
}

describe('passwordAfterLookup', () => {
  it('with a password source given, starts hashing before the look at the user ends', async () => {
    const r = recorder();
    const result = passwordAfterLookup(
      { passwordStdin: true },
      async () => {
        r.events.push('hash started');
        return 'hash';
      },
      async () => {
        r.events.push('lookup started');
        await r.lookupGate;
        r.events.push('lookup done');
      },
    );
    await new Promise((res) => setImmediate(res));
    expect(r.events).toEqual(['hash started', 'lookup started']);
    r.release();
    expect(await result).toBe('hash');
  });

  it('without a source (a prompt), asks only once the user passed the look', async () => {
    const events: string[] = [];
    const hash = await passwordAfterLookup(
      {},
      async () => {
        events.push('prompt');
        return 'hash';
      },
      async () => {
        events.push('lookup');
      },
    );
    expect(hash).toBe('hash');
    expect(events).toEqual(['lookup', 'prompt']);
  });

  it("says the user's problem, not the password's, when both fail", async () => {
    const failing = passwordAfterLookup(
      { password: 'weak' },
      () => Promise.reject(new Error('too weak')),
      () => Promise.reject(new Error('no such user')),
    );
    await expect(failing).rejects.toThrow('no such user');
  });
});
