import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Listener } from '../../src/config/types.js';
import { detectRunningSynapse, healthUrls, identifyProcess, isProcessAlive, isSynapseCommand } from '../../src/synapse/live-server.js';
import { startFakeSynapse } from '../helpers/fake-synapse.js';
import { localServers } from '../helpers/local-servers.js';

const local = localServers('sab-live-');
const { servers } = local;

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
  client: true,
});

describe('health probes', () => {
  it('finds Synapse answering OK on a wildcard listener, over loopback', async () => {
    const port = await serve('127.0.0.1');
    const report = await detectRunningSynapse({ listeners: [client(port, ['0.0.0.0'])] });
    expect(report).toEqual({ running: true, evidence: [`http://127.0.0.1:${port}/health answered OK`], notes: [] });
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
    expect(report).toEqual({ running: false, evidence: [], notes: [] });
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
    const tls = await local.selfSignedCertificate();
    const port = await serve('127.0.0.1', undefined, tls);
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
    const path = join(local.dir(), `synapse-${Math.random().toString(36).slice(2)}.pid`);
    await writeFile(path, content);
    return path;
  }

  it('counts a pid file naming a live Synapse process', async () => {
    const synapse = await startFakeSynapse();
    try {
      const path = await pidFile(`${synapse.pid}\n`);
      expect(await detectRunningSynapse({ pidFile: path, listeners: [] })).toEqual({
        running: true,
        evidence: [`pid file ${path} names running Synapse process ${synapse.pid}`],
        notes: [],
      });
    } finally {
      await synapse.stop();
    }
  });

  it('does not count a pid file whose pid now belongs to another program', async () => {
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      const path = await pidFile(String(sleeper.pid));
      expect(await detectRunningSynapse({ pidFile: path, listeners: [] })).toEqual({
        running: false,
        evidence: [],
        notes: [`pid file ${path} names process ${sleeper.pid} (sleep), which is not Synapse`],
      });
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('does not count a stale pid file', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = child.pid!;
    await new Promise((exited) => child.on('exit', exited));
    const path = await pidFile(String(deadPid));
    expect(await detectRunningSynapse({ pidFile: path, listeners: [] })).toEqual({
      running: false,
      evidence: [],
      notes: [`pid file ${path} names process ${deadPid}, which is not running`],
    });
  });

  it('counts a live process it cannot identify, and says why', async () => {
    const path = await pidFile('4242');
    const report = await detectRunningSynapse(
      { pidFile: path, listeners: [] },
      { processAlive: () => true, identifyProcess: async () => ({ kind: 'unknown', reason: 'what it runs cannot be read (EACCES)' }) },
    );
    expect(report).toEqual({
      running: true,
      evidence: [`pid file ${path} names running process 4242; what it runs cannot be read (EACCES), so it is taken to be Synapse`],
      notes: [],
    });
  });

  it('does not count a process that could not be identified because it exited meanwhile', async () => {
    const path = await pidFile('4242');
    let looks = 0;
    const report = await detectRunningSynapse(
      { pidFile: path, listeners: [] },
      { processAlive: () => looks++ === 0, identifyProcess: async () => ({ kind: 'unknown', reason: 'gone (ENOENT)' }) },
    );
    expect(report).toMatchObject({ running: false, evidence: [] });
  });

  it.each(['', 'not a pid', '0', '-1', '12 34'])('ignores a pid file holding %j', async (content) => {
    const path = await pidFile(content);
    // Would be "alive" if it were ever asked: the content must not get that far.
    const report = await detectRunningSynapse(
      { pidFile: path, listeners: [] },
      { processAlive: () => true, identifyProcess: async () => ({ kind: 'synapse' }) },
    );
    expect(report.running).toBe(false);
  });

  it('reports nothing running when there is no pid file and nothing listens', async () => {
    const port = await freePort();
    const report = await detectRunningSynapse({
      pidFile: join(local.dir(), 'missing.pid'),
      listeners: [client(port, ['::', '0.0.0.0'])],
    });
    expect(report).toEqual({ running: false, evidence: [], notes: [] });
  });

  it('collects all the evidence there is', async () => {
    const port = await serve('127.0.0.1');
    const synapse = await startFakeSynapse();
    try {
      const path = await pidFile(String(synapse.pid));
      const report = await detectRunningSynapse({ pidFile: path, listeners: [client(port, ['127.0.0.1'])] });
      expect(report.evidence).toHaveLength(2);
    } finally {
      await synapse.stop();
    }
  });
});

describe('unix socket listeners', () => {
  let n = 0;
  const socketPath = () => join(local.dir(), `s${n++}.sock`);

  async function serveOn(path: string, answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<void> {
    const server = http.createServer(answer);
    servers.push(server);
    await new Promise<void>((listening) => server.listen(path, listening));
  }

  it('finds Synapse answering OK on /health over the socket', async () => {
    const path = socketPath();
    await serveOn(path, (req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end(req.url === '/health' ? 'OK' : ''));
    expect(await detectRunningSynapse({ listeners: [{ path, http: true, client: true }] })).toEqual({
      running: true,
      evidence: [`unix socket ${path} answered OK on /health`],
      notes: [],
    });
  });

  it('is not fooled by something else on the socket, and skips sockets that are not HTTP', async () => {
    const other = socketPath();
    await serveOn(other, (_req, res) => res.writeHead(200).end('<html>hello</html>'));
    const metrics = socketPath();
    await serveOn(metrics, (_req, res) => res.writeHead(200).end('OK'));
    const report = await detectRunningSynapse({ listeners: [{ path: other, http: true, client: true }, { path: metrics, http: false, client: false }] });
    expect(report).toEqual({ running: false, evidence: [], notes: [] });
  });

  it('gives up on a socket that never answers, and ignores a missing one', async () => {
    const silent = socketPath();
    await serveOn(silent, () => {
      /* accept and stay silent */
    });
    const started = Date.now();
    const report = await detectRunningSynapse(
      { listeners: [{ path: silent, http: true, client: true }, { path: socketPath(), http: true, client: true }] },
      { timeoutMs: 200 },
    );
    expect(report).toEqual({ running: false, evidence: [], notes: [] });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('notes a socket left behind by a killed server', async () => {
    const path = socketPath();
    // A server killed with SIGKILL cannot remove its socket file.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((exited) => child.on('exit', exited));
    const report = await detectRunningSynapse({ listeners: [{ path, http: true, client: true }] });
    expect(report).toEqual({
      running: false,
      evidence: [],
      notes: [`unix socket ${path} exists but nothing listens on it (left by a Synapse that did not stop cleanly)`],
    });
  });

  it('takes a socket this user may not connect to as a running Synapse, and says so', async () => {
    const report = await detectRunningSynapse(
      { listeners: [{ path: '/run/synapse/main.sock', http: true, client: true }] },
      { socketGet: async () => Promise.reject(Object.assign(new Error('connect EACCES'), { code: 'EACCES' })) },
    );
    expect(report.running).toBe(true);
    expect(report.evidence[0]).toMatch(/^unix socket \/run\/synapse\/main\.sock exists but this user may not connect to it/);
  });
});

describe('what a pid runs', () => {
  it.each([
    ['Debian unit', ['/usr/bin/python3', '-m', 'synapse.app.homeserver', '--config-path=/etc/matrix-synapse/homeserver.yaml']],
    ['docker start.py', ['/usr/local/bin/python', '-m', 'synapse.app.homeserver', '--config-path', '/data/homeserver.yaml']],
    ['a worker', ['python3', '-m', 'synapse.app.generic_worker', '-c', 'hs.yaml', '-c', 'worker.yaml']],
    ['interpreter options first', ['python3.12', '-u', '-X', 'dev', '-m', 'synapse.app.homeserver']],
    ['-m glued to the module', ['python3', '-msynapse.app.homeserver']],
    ['pip entry point, run by the kernel via its shebang', ['/opt/venv/bin/python3', '/opt/venv/bin/synapse_homeserver', '-c', 'hs.yaml']],
    ['pip worker entry point', ['/opt/venv/bin/python3', '/opt/venv/bin/synapse_worker', '-c', 'hs.yaml']],
    ['Nix wrapper', ['/nix/store/x-python3/bin/python3.11', '/nix/store/y-matrix-synapse/bin/.synapse_homeserver-wrapped', '-c', 'hs.yaml']],
    ['argv[0] set to the script', ['synapse_homeserver', '--config-path', 'hs.yaml']],
  ])('knows Synapse: %s', (_name, argv) => {
    expect(isSynapseCommand(argv)).toBe(true);
  });

  it.each([
    ['sleep', ['sleep', '300']],
    ['init', ['/sbin/init']],
    ['another python program', ['python3', '-m', 'http.server']],
    ['a one-off Synapse script', ['/usr/bin/python3', '/usr/bin/synapse_register_new_matrix_user', '-c', 'hs.yaml']],
    ['synctl (it starts Synapse; it is not one)', ['/usr/bin/python3', '/usr/local/bin/synctl', 'start']],
    ['an editor on a file named like the module', ['vim', 'synapse.app.homeserver']],
    ['no command line', []],
  ])('knows it is not Synapse: %s', (_name, argv) => {
    expect(isSynapseCommand(argv)).toBe(false);
  });

  const procOf = (files: Record<string, string>) => async (path: string) => {
    if (path in files) return files[path]!;
    throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
  };

  it('reads the command line from /proc, NUL-separated', async () => {
    const proc = procOf({ '/proc/7/cmdline': 'python3\0-m\0synapse.app.homeserver\0-c\0hs.yaml\0' });
    expect(await identifyProcess(7, proc)).toEqual({ kind: 'synapse' });
  });

  it('names another program by its comm', async () => {
    const proc = procOf({ '/proc/7/cmdline': '/bin/sleep\x00300\x00', '/proc/7/comm': 'sleep\n' });
    expect(await identifyProcess(7, proc)).toEqual({ kind: 'other', name: 'sleep' });
  });

  it('takes an empty command line (kernel thread, zombie) for no Synapse', async () => {
    expect(await identifyProcess(2, procOf({ '/proc/2/cmdline': '', '/proc/2/comm': 'kthreadd\n' }))).toEqual({ kind: 'other', name: 'kthreadd' });
  });

  it('cannot tell when /proc will not say, and says why', async () => {
    expect(await identifyProcess(7, procOf({}))).toEqual({
      kind: 'unknown',
      reason: 'what it runs cannot be read from /proc/7/cmdline (EACCES)',
    });
  });

  it('asks the real /proc by default', async () => {
    const synapse = await startFakeSynapse();
    try {
      expect(await identifyProcess(synapse.pid)).toEqual({ kind: 'synapse' });
      expect(await identifyProcess(process.pid)).toEqual({ kind: 'other', name: 'node' });
    } finally {
      await synapse.stop();
    }
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
