// apply against a real Synapse: a file applied while Synapse is stopped, then Synapse itself has
// to agree (logins, the Admin API's view of who is admin); then a file applied while it runs,
// which holds after the restart the tool asks for.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eContext } from './harness/context.js';
import type { RunResult } from './harness/exec.js';
import { Homeserver, type HomeserverOptions } from './harness/homeserver.js';
import { adminGet, getUser, login, loginToken } from './harness/http.js';
import { okJson, toolOn } from './harness/tool.js';

const ctx = e2eContext();

const setups: HomeserverOptions[] = [
  { name: 'apply-sqlite', engine: 'sqlite' },
  { name: 'apply-pg', engine: 'postgres', pgVia: 'tcp' },
];

describe.each(setups)('apply on $engine ($name)', (options) => {
  let hs: Homeserver;
  let tool: ReturnType<typeof toolOn>;
  let file: string;
  const r: Record<string, RunResult> = {};

  const adminsSeenBySynapse = async (token: string): Promise<string[]> => {
    const reply = await adminGet(hs.baseUrl, token, '/_synapse/admin/v2/users?limit=100&guests=false&admins=true');
    expect(reply.status).toBe(200);
    return (reply.body as { users: Array<{ name: string }> }).users.map((u) => u.name).sort();
  };

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, options);
    tool = toolOn(hs);
    await hs.start();
    await hs.register('root', 'Root-pw-1', { admin: true });
    await hs.register('oldadmin', 'Oldadmin-pw-1', { admin: true });
    await hs.register('keeper', 'Keeper-pw-1');
    await hs.stop();

    writeFileSync(path.join(hs.dir, 'ops.pw'), 'Ops-pw-1\n');
    writeFileSync(path.join(hs.dir, 'keeper.pw'), 'Keeper-pw-2\n');
    file = path.join(hs.dir, 'users.yaml');
    writeFileSync(
      file,
      `admins: exclusive
update_password: always
users:
  - {user: root, admin: true}
  - {user: ops, admin: true, password_file: ${path.join(hs.dir, 'ops.pw')}, displayname: Ops Team}
  - {user: "@guest-bot:${hs.serverName}", random_password: true, user_type: bot}
  - {user: keeper, password_file: ${path.join(hs.dir, 'keeper.pw')}}
`,
    );
    r.apply = await tool(['--json', 'apply', file]);
    r.again = await tool(['--json', 'apply', file]);
    await hs.start();
  });

  afterAll(async () => {
    await hs?.destroy();
  });

  it('applies the file once, and a second run changes nothing', () => {
    expect(okJson(r.apply!)).toMatchObject({ changed: true, created: 2, updated: 1, demoted: 1, unchanged: 1 });
    expect(okJson(r.again!)).toMatchObject({ changed: false, created: 0, updated: 0, demoted: 0, unchanged: 4 });
  });

  it('users from the file log in with their passwords, and only the admins may use the Admin API', async () => {
    const opsToken = await loginToken(hs.baseUrl, 'ops', 'Ops-pw-1');
    expect((await getUser(hs.baseUrl, opsToken, hs.userId('root'))).status).toBe(200);
    const botPassword = okJson(r.apply!).users.find((u: { user_id: string }) => u.user_id === hs.userId('guest-bot')).password;
    const botToken = await loginToken(hs.baseUrl, 'guest-bot', botPassword);
    expect((await getUser(hs.baseUrl, botToken, hs.userId('root'))).status).toBe(403);
    // update_password: always replaced keeper's; the old one no longer works.
    expect((await login(hs.baseUrl, 'keeper', 'Keeper-pw-2')).status).toBe(200);
    expect((await login(hs.baseUrl, 'keeper', 'Keeper-pw-1')).status).toBe(403);
    const oldToken = await loginToken(hs.baseUrl, 'oldadmin', 'Oldadmin-pw-1');
    expect((await getUser(hs.baseUrl, oldToken, hs.userId('root'))).status).toBe(403);
    const ops = (await getUser(hs.baseUrl, opsToken, hs.userId('ops'))).body as Record<string, unknown>;
    expect(ops).toMatchObject({ admin: true, displayname: 'Ops Team', deactivated: false });
    const bot = (await getUser(hs.baseUrl, opsToken, hs.userId('guest-bot'))).body as Record<string, unknown>;
    expect(bot).toMatchObject({ admin: false, user_type: 'bot' });
  });

  it('the Admin API sees exactly the declared admins', async () => {
    const token = await loginToken(hs.baseUrl, 'root', 'Root-pw-1');
    expect(await adminsSeenBySynapse(token)).toEqual([hs.userId('ops'), hs.userId('root')]);
  });

  it('applied while Synapse runs: it says a restart is needed, and after the restart only the declared admins are admins', async () => {
    const running = path.join(hs.dir, 'running.yaml');
    writeFileSync(running, 'admins: exclusive\nusers:\n  - {user: ops, admin: true}\n  - {user: keeper, admin: true}\n');
    const run = await tool(['--json', 'apply', running]);
    expect(okJson(run)).toMatchObject({ changed: true, updated: 1, demoted: 1, synapse_running: true, restart_needed: true });
    expect(run.stderr).toMatch(/Restart Synapse/);
    await hs.restart();
    const token = await loginToken(hs.baseUrl, 'ops', 'Ops-pw-1');
    expect(await adminsSeenBySynapse(token)).toEqual([hs.userId('keeper'), hs.userId('ops')]);
    const rootToken = await loginToken(hs.baseUrl, 'root', 'Root-pw-1');
    expect((await getUser(hs.baseUrl, rootToken, hs.userId('ops'))).status).toBe(403);
  });
});
