// Issue 19: --live through other listeners of a real Synapse: TLS (https on loopback, its certificate
// self-signed for another name, not checked, and the output says so) and a default wildcard bind ([::1]).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eContext } from './harness/context.js';
import { Homeserver } from './harness/homeserver.js';
import { getUser, loginToken } from './harness/http.js';
import { freePort } from './harness/net.js';
import { okJson, runTool } from './harness/tool.js';

const ctx = e2eContext();
const PW = 'Tls-pw-1-long';

describe('--live over a TLS listener', { timeout: 300_000 }, () => {
  let hs: Homeserver;
  let tlsPort: number;
  let wildPort: number;
  let onlyTls: string;
  let onlyWild: string;

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, { name: 'live-tls', engine: 'sqlite', bcryptRounds: 4 });
    const key = path.join(hs.dir, 'tls.key');
    const cert = path.join(hs.dir, 'tls.crt');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
      '-subj', '/CN=matrix.example.org', '-days', '1',
    ], { stdio: 'ignore' });
    tlsPort = await freePort();
    const config = YAML.parse(readFileSync(hs.configPath, 'utf8')) as Record<string, any>;
    config.listeners.push({ port: tlsPort, tls: true, type: 'http', bind_addresses: ['127.0.0.1'], resources: [{ names: ['client'] }] });
    // No bind_addresses: Synapse's default ['::', '0.0.0.0'], which the tool asks on [::1] first.
    wildPort = await freePort();
    config.listeners.push({ port: wildPort, tls: false, type: 'http', resources: [{ names: ['client'] }] });
    config.tls_certificate_path = cert;
    config.tls_private_key_path = key;
    writeFileSync(hs.configPath, YAML.stringify(config));
    await hs.start();
    // The tool sees only the TLS listener: a later -c file replaces `listeners` as Synapse merges.
    onlyTls = path.join(hs.dir, 'only-tls.yaml');
    writeFileSync(onlyTls, YAML.stringify({ listeners: [config.listeners[1]] }));
    onlyWild = path.join(hs.dir, 'only-wild.yaml');
    writeFileSync(onlyWild, YAML.stringify({ listeners: [config.listeners[2]] }));
    await hs.register('root', PW, { admin: true });
    await hs.register('bob', PW);
    await hs.register('carol', PW);
  }, 600_000);

  afterAll(async () => {
    await hs?.destroy();
  });

  it('promote goes through https on loopback, says the certificate was not checked, and shows at once', async () => {
    const old = await loginToken(hs.baseUrl, 'bob', PW);
    expect((await getUser(hs.baseUrl, old, hs.userId('bob'))).status).toBe(403);
    const json = okJson(await runTool(['-c', hs.configPath, '-c', onlyTls, '--json', 'promote', 'bob', '--live', 'always']));
    expect(json).toMatchObject({ applied_via: 'admin-api', changed: true });
    expect(json.notes.join('\n')).toContain(`answers at https://127.0.0.1:${tlsPort} (TLS, certificate not checked).`);
    expect((await getUser(hs.baseUrl, old, hs.userId('bob'))).status).toBe(200);
  });

  it('a listener with the default bind addresses is asked on [::1]', async () => {
    const json = okJson(await runTool(['-c', hs.configPath, '-c', onlyWild, '--json', 'promote', 'carol', '--live', 'always']));
    expect(json).toMatchObject({ applied_via: 'admin-api', changed: true });
    expect(json.notes.join('\n')).toContain(`answers at http://[::1]:${wildPort}.`);
  });
});
