import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Listener } from '../src/config-types.js';
import { detectRunningSynapse, healthUrls, isProcessAlive } from '../src/live-server.js';

const servers: Array<http.Server | https.Server> = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sab-live-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

// Answers like Synapse's HealthResource, or however the test says.
async function serve(
  host: string,
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404).end(req.url === '/health' ? 'OK' : '');
  },
  tls?: { key: string; cert: string },
): Promise<number> {
  const server = tls ? https.createServer(tls, answer) : http.createServer(answer);
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, host, listening));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
}

const client = (port: number, bindAddresses: string[], tls = false): Listener => ({
  port,
  bindAddresses,
  tls,
  http: true,
});

describe('health probes', () => {
  it('finds Synapse answering OK on a wildcard listener, over loopback', async () => {
    const port = await serve('127.0.0.1');
    const report = await detectRunningSynapse({ listeners: [client(port, ['0.0.0.0'])] });
    expect(report).toEqual({ running: true, evidence: [`http://127.0.0.1:${port}/health answered OK`] });
  });

  it('maps "::" to ::1', async () => {
    const port = await serve('::1');
    const report = await detectRunningSynapse({ listeners: [client(port, ['::'])] });
    expect(report.evidence).toEqual([`http://[::1]:${port}/health answered OK`]);
  });

  it('is not fooled by something else on the port', async () => {
    const port = await serve('127.0.0.1', (_req, res) => res.writeHead(200).end('<html>hello</html>'));
    const notFound = await serve('127.0.0.1', (_req, res) => res.writeHead(404).end('OK'));
    const report = await detectRunningSynapse({
      listeners: [client(port, ['127.0.0.1']), client(notFound, ['127.0.0.1'])],
    });
    expect(report).toEqual({ running: false, evidence: [] });
  });

  it('ignores listeners that are not HTTP', async () => {
    const port = await serve('127.0.0.1');
    const report = await detectRunningSynapse({ listeners: [{ ...client(port, ['127.0.0.1']), http: false }] });
    expect(report.running).toBe(false);
  });

  it('gives up on a listener that never answers within the timeout', async () => {
    const port = await serve('127.0.0.1', () => {
      /* accept and stay silent */
    });
    const started = Date.now();
    const report = await detectRunningSynapse({ listeners: [client(port, ['127.0.0.1'])] }, { timeoutMs: 200 });
    expect(report.running).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('probes a TLS listener over https without checking its certificate', async () => {
    // A self-signed certificate for another name, as a real server's would look from loopback.
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-subj', '/CN=matrix.example.org', '-days', '1',
    ], { stdio: 'ignore' });
    const port = await serve('127.0.0.1', undefined, {
      key: await readFile(key, 'utf8'),
      cert: await readFile(cert, 'utf8'),
    });
    const report = await detectRunningSynapse({ listeners: [client(port, ['0.0.0.0'], true)] });
    expect(report.evidence).toEqual([`https://127.0.0.1:${port}/health answered OK`]);
  });

  it('builds one loopback URL per bind address, Synapse defaults when none are given', () => {
    expect(
      healthUrls([
        client(8008, []),
        client(8448, ['0.0.0.0', '192.0.2.7'], true),
        client(8008, ['::']), // same URL as the first listener's: probed once
        { ...client(9000, ['127.0.0.1']), http: false },
      ]),
    ).toEqual([
      'http://[::1]:8008/health',
      'http://127.0.0.1:8008/health',
      'https://127.0.0.1:8448/health',
      'https://192.0.2.7:8448/health',
    ]);
  });
});

describe('pid file', () => {
  async function pidFile(content: string): Promise<string> {
    const path = join(dir, `synapse-${Math.random().toString(36).slice(2)}.pid`);
    await writeFile(path, content);
    return path;
  }

  it('counts a pid file naming a live process', async () => {
    const path = await pidFile(`${process.pid}\n`);
    expect(await detectRunningSynapse({ pidFile: path, listeners: [] })).toEqual({
      running: true,
      evidence: [`pid file ${path} names running process ${process.pid}`],
    });
  });

  it('does not count a stale pid file', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = child.pid!;
    await new Promise((exited) => child.on('exit', exited));
    const path = await pidFile(String(deadPid));
    expect(await detectRunningSynapse({ pidFile: path, listeners: [] })).toEqual({ running: false, evidence: [] });
  });

  it.each(['', 'not a pid', '0', '-1', '12 34'])('ignores a pid file holding %j', async (content) => {
    const path = await pidFile(content);
    // Would be "alive" if it were ever asked: the content must not get that far.
    const report = await detectRunningSynapse({ pidFile: path, listeners: [] }, { processAlive: () => true });
    expect(report.running).toBe(false);
  });

  it('reports nothing running when there is no pid file and nothing listens', async () => {
    const port = await freePort();
    const report = await detectRunningSynapse({
      pidFile: join(dir, 'missing.pid'),
      listeners: [client(port, ['::', '0.0.0.0'])],
    });
    expect(report).toEqual({ running: false, evidence: [] });
  });

  it('collects all the evidence there is', async () => {
    const port = await serve('127.0.0.1');
    const path = await pidFile(String(process.pid));
    const report = await detectRunningSynapse({ pidFile: path, listeners: [client(port, ['127.0.0.1'])] });
    expect(report.evidence).toHaveLength(2);
  });
});

describe('isProcessAlive', () => {
  const failingWith = (code: string) => () => {
    throw Object.assign(new Error(code), { code });
  };

  it('treats EPERM as alive: the process exists but belongs to another user', () => {
    expect(isProcessAlive(1, failingWith('EPERM'))).toBe(true);
  });

  it('treats ESRCH as gone', () => {
    expect(isProcessAlive(1, failingWith('ESRCH'))).toBe(false);
  });

  it('asks the real process table by default', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});
