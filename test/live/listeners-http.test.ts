// Issue 19: finding the Admin API from the listeners, and talking to it over TCP and a unix socket.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Listener } from '../../src/config/types.js';
import { localServers } from '../helpers/local-servers.js';
import { clientEndpoints, type ClientEndpoint } from '../../src/live/listeners.js';
import { describeCall, findAdminApi, request, TransportError, userPath } from '../../src/live/http.js';

const local = localServers('sab-live-http-');
const { servers } = local;

interface Seen {
  method?: string;
  url?: string;
  authorization?: string;
  body?: string;
}

/** Answers like Synapse: /health, server_version, and one echo route for the request's details. */
function synapseLike(seen: Seen[], adminBlocked = false): http.RequestListener {
  return (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      if (req.url === '/health') return void res.writeHead(200).end('OK');
      if (req.url?.startsWith('/_synapse/admin') && adminBlocked) return void res.writeHead(404).end('<html>blocked</html>');
      if (req.url === '/_synapse/admin/v1/server_version') return void res.writeHead(200).end('{"server_version":"1.160.0"}');
      if (req.url === '/denied') return void res.writeHead(401).end('{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed."}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: body === '' ? null : JSON.parse(body) }));
    });
  };
}

async function listen(handler: http.RequestListener, where: { host: string } | { path: string }): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((ok) => ('path' in where ? server.listen(where.path, ok) : server.listen(0, where.host, ok)));
  return 'path' in where ? 0 : (server.address() as AddressInfo).port;
}

const tcp = (port: number, bindAddresses: string[], extra: Partial<Listener> = {}): Listener =>
  ({ port, bindAddresses, tls: false, http: true, client: true, ...extra }) as Listener;

describe('clientEndpoints', () => {
  it('puts unix sockets first, maps wildcards to loopback, keeps explicit addresses, skips non-client listeners', () => {
    const endpoints = clientEndpoints([
      tcp(8008, ['::', '0.0.0.0']),
      tcp(8009, ['192.0.2.7']),
      tcp(8448, ['0.0.0.0'], { tls: true }),
      tcp(8010, ['127.0.0.1'], { client: false }),
      tcp(9000, ['0.0.0.0'], { http: false, client: false }),
      { path: '/run/synapse/main.sock', http: true, client: true },
      { path: '/run/synapse/fed.sock', http: true, client: false },
    ]);
    expect(endpoints.map((e) => e.label)).toEqual([
      'unix socket /run/synapse/main.sock',
      'http://[::1]:8008',
      'http://127.0.0.1:8008',
      'http://192.0.2.7:8009',
      'https://127.0.0.1:8448 (TLS, certificate not checked)',
    ]);
  });

  it('finds nothing without a client listener (public_baseurl is never used)', () => {
    expect(clientEndpoints([tcp(8448, ['0.0.0.0'], { client: false })])).toEqual([]);
  });
});

describe('request and findAdminApi', () => {
  it('speaks JSON over TCP with the token in the header only', async () => {
    const seen: Seen[] = [];
    const port = await listen(synapseLike(seen), { host: '127.0.0.1' });
    const endpoint: ClientEndpoint = { kind: 'tcp', origin: `http://127.0.0.1:${port}`, tls: false, label: `http://127.0.0.1:${port}` };
    const path = userPath('/_synapse/admin/v1/users/', '@bob:example.test', '/admin');
    expect(path).toBe('/_synapse/admin/v1/users/%40bob%3Aexample.test/admin');
    const reply = await request(endpoint, { method: 'PUT', path, body: { admin: true } }, 'syt_secret_token');
    expect(reply).toEqual({ status: 200, body: { echoed: { admin: true } } });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: path, authorization: 'Bearer syt_secret_token' });
  });

  it('speaks HTTP over a unix socket, and confirms it as the Admin API', async () => {
    const seen: Seen[] = [];
    const socketPath = join(local.dir(), 'synapse.sock');
    await listen(synapseLike(seen), { path: socketPath });
    const [endpoint] = clientEndpoints([{ path: socketPath, http: true, client: true }]);
    const found = await findAdminApi([endpoint!]);
    expect(found.server).toEqual({ endpoint, serverVersion: '1.160.0' });
    expect(seen.map((s) => s.url)).toEqual(['/health', '/_synapse/admin/v1/server_version']);
  });

  it('passes over a dead socket and a listener that hides /_synapse/admin, and says why', async () => {
    const seen: Seen[] = [];
    const blocked = await listen(synapseLike(seen, true), { host: '127.0.0.1' });
    const good = await listen(synapseLike(seen), { host: '127.0.0.1' });
    const found = await findAdminApi(
      clientEndpoints([{ path: join(local.dir(), 'nothing.sock'), http: true, client: true }, tcp(blocked, ['127.0.0.1']), tcp(good, ['127.0.0.1'])]),
    );
    expect(found.server?.endpoint.label).toBe(`http://127.0.0.1:${good}`);
    expect(found.notes).toEqual([
      expect.stringMatching(/^GET \/health on unix socket .*nothing\.sock failed: ENOENT$/),
      `http://127.0.0.1:${blocked}: /_synapse/admin/v1/server_version answered 404 (is /_synapse/admin blocked?)`,
    ]);
  });

  it('speaks https to a TLS listener on loopback without checking its certificate (for another name, self-signed)', async () => {
    const tls = await local.selfSignedCertificate();
    const seen: Seen[] = [];
    const server = https.createServer(tls, synapseLike(seen));
    servers.push(server);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const found = await findAdminApi(clientEndpoints([tcp(port, ['0.0.0.0'], { tls: true })]));
    expect(found.server?.endpoint.label).toBe(`https://127.0.0.1:${port} (TLS, certificate not checked)`);
    expect(found.server?.serverVersion).toBe('1.160.0');
  });

  it('times out without hanging, and never puts the token in the error', async () => {
    const port = await listen(() => {}, { host: '127.0.0.1' });
    const endpoint: ClientEndpoint = { kind: 'tcp', origin: `http://127.0.0.1:${port}`, tls: false, label: 'silent' };
    const err = await request(endpoint, { method: 'GET', path: '/x' }, 'syt_secret_token', 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toBe('GET /x on silent failed: no answer within 0.3 s');
    expect(JSON.stringify(err) + String((err as Error).stack)).not.toContain('syt_secret_token');
  });

  it('describes a call without its password', () => {
    expect(describeCall({ method: 'PUT', path: '/p', body: { deactivated: false, password: 'hunter2' } })).toBe(
      'PUT /p {"deactivated":false,"password":"<redacted>"}',
    );
  });
});
