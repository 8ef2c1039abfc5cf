// Issue 7 against a real Synapse: after `set-password --logout` a compromised account's sessions
// and its pushers (an attacker's push gateway) are gone, and Synapse's own pushers still work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eContext } from './harness/context.js';
import type { RunResult } from './harness/exec.js';
import { Homeserver, type HomeserverOptions } from './harness/homeserver.js';
import { adminGet, adminPost, loginToken, whoami } from './harness/http.js';
import { okJson, toolOn } from './harness/tool.js';

const ctx = e2eContext();

const setups: HomeserverOptions[] = [
  { name: 'userops-sqlite', engine: 'sqlite' },
  { name: 'userops-pg', engine: 'postgres', pgVia: 'tcp' },
];

function httpPusher(pushkey: string) {
  return {
    kind: 'http',
    app_id: 'com.example.push',
    pushkey,
    app_display_name: 'Example',
    device_display_name: pushkey,
    lang: 'en',
    data: { url: 'http://127.0.0.1:9/_matrix/push/v1/notify' },
  };
}

async function pushkeys(hs: Homeserver, token: string): Promise<string[]> {
  const reply = await adminGet(hs.baseUrl, token, '/_matrix/client/v3/pushers');
  expect(reply.status).toBe(200);
  return (reply.body.pushers as Array<{ pushkey: string }>).map((p) => p.pushkey).sort();
}

describe.each(setups)('set-password --logout on $engine ($name)', (options) => {
  let hs: Homeserver;
  let ownerToken: string;
  let attackerToken: string;
  let bobToken: string;
  let logout: RunResult;

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, options);
    const tool = toolOn(hs);
    await hs.start();
    await hs.register('alice', 'Alice-pw-1');
    await hs.register('bob', 'Bob-pw-1');
    // register_new_matrix_user logged in once already. The owner's phone, and a second session (the attacker's) with its own push gateway.
    ownerToken = await loginToken(hs.baseUrl, 'alice', 'Alice-pw-1');
    attackerToken = await loginToken(hs.baseUrl, 'alice', 'Alice-pw-1');
    bobToken = await loginToken(hs.baseUrl, 'bob', 'Bob-pw-1');
    for (const [token, key] of [[ownerToken, 'owner-phone'], [attackerToken, 'attacker-gateway'], [bobToken, 'bob-phone']] as const) {
      expect((await adminPost(hs.baseUrl, token, '/_matrix/client/v3/pushers/set', httpPusher(key))).status).toBe(200);
    }
    expect(await pushkeys(hs, ownerToken)).toEqual(['attacker-gateway', 'owner-phone']);
    await hs.stop();
    logout = await tool(['--json', 'set-password', 'alice', '--logout', '--password-stdin'], { input: 'Alice-pw-2\n' });
    await hs.start();
  });

  afterAll(async () => {
    await hs?.destroy();
  });

  it('reports the tokens and pushers it deleted', () => {
    expect(okJson(logout)).toMatchObject({ user_id: hs.userId('alice'), tokens_removed: 3, pushers_removed: 2 });
  });

  it('Synapse rejects the old tokens', async () => {
    for (const token of [ownerToken, attackerToken]) {
      const reply = await whoami(hs.baseUrl, token);
      expect(reply.status).toBe(401);
      expect(reply.body.errcode).toBe('M_UNKNOWN_TOKEN');
    }
  });

  it('Synapse lists no pusher for the user any more, and keeps the other user\'s', async () => {
    const token = await loginToken(hs.baseUrl, 'alice', 'Alice-pw-2');
    expect(await pushkeys(hs, token)).toEqual([]);
    expect(await pushkeys(hs, bobToken)).toEqual(['bob-phone']);
  });

  it('Synapse still adds pushers afterwards (its pusher ids were left alone)', async () => {
    const token = await loginToken(hs.baseUrl, 'alice', 'Alice-pw-2');
    expect((await adminPost(hs.baseUrl, token, '/_matrix/client/v3/pushers/set', httpPusher('new-phone'))).status).toBe(200);
    expect((await adminPost(hs.baseUrl, bobToken, '/_matrix/client/v3/pushers/set', httpPusher('bob-tablet'))).status).toBe(200);
    expect(await pushkeys(hs, token)).toEqual(['new-phone']);
    expect(await pushkeys(hs, bobToken)).toEqual(['bob-phone', 'bob-tablet']);
  });
});
