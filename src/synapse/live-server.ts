// Is a Synapse running on this configuration? It matters because a running Synapse caches admin
// status and tokens, so the commands must tell the user to restart it.
import { readFile as fsReadFile } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { basename } from 'node:path';
import type { Listener, SynapseConfig, TcpListener, UnixSocketListener } from '../config/types.js';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** What /proc says a process runs. */
export type ProcessIdentity =
  | { kind: 'synapse' }
  | { kind: 'other'; name: string }
  /** /proc could not tell: another OS, /proc mounted with hidepid, a process of another user. */
  | { kind: 'unknown'; reason: string };

export interface LiveServerDeps {
  readFile?: (path: string) => Promise<string>;
  processAlive?: (pid: number) => boolean;
  identifyProcess?: (pid: number) => Promise<ProcessIdentity>;
  /** GET the URL; rejects when nothing answers within timeoutMs. */
  httpGet?: (url: string, timeoutMs: number) => Promise<HttpAnswer>;
  /** GET /health over the unix socket; rejects (with the errno code) when nothing answers. */
  socketGet?: (socketPath: string, timeoutMs: number) => Promise<HttpAnswer>;
  timeoutMs?: number;
}

export interface LiveServerReport {
  running: boolean;
  /** What showed it running, one line each, e.g. "http://127.0.0.1:8008/health answered OK". */
  evidence: string[];
  /** What looked like Synapse but was not counted, and why (a stale pid file, a dead socket). */
  notes: string[];
}

interface Finding {
  evidence?: string;
  note?: string;
}

// The listener's default in synapse/config/server.py.
const DEFAULT_BIND_ADDRESSES = ['::', '0.0.0.0'];
// A wildcard bind answers on loopback too, so we never probe beyond this host: an explicit bind
// address is one of this host's own addresses, or Synapse could not have bound it.
const WILDCARD_TO_LOOPBACK: Record<string, string> = { '::': '::1', '0.0.0.0': '127.0.0.1' };
const HEALTH_BODY_LIMIT = 1024;

export async function detectRunningSynapse(
  config: Pick<SynapseConfig, 'pidFile' | 'listeners'>,
  deps: LiveServerDeps = {},
): Promise<LiveServerReport> {
  const timeoutMs = deps.timeoutMs ?? 1000;
  const httpGet = deps.httpGet ?? getOverLoopback;
  const socketGet = deps.socketGet ?? getOverSocket;
  const findings = await Promise.all<Finding>([
    config.pidFile ? pidFileFinding(config.pidFile, deps) : {},
    ...healthUrls(config.listeners).map((url) => healthFinding(url, httpGet, timeoutMs)),
    ...socketPaths(config.listeners).map((path) => socketFinding(path, socketGet, timeoutMs)),
  ]);
  const evidence = findings.flatMap((f) => (f.evidence === undefined ? [] : [f.evidence]));
  return { running: evidence.length > 0, evidence, notes: findings.flatMap((f) => (f.note === undefined ? [] : [f.note])) };
}

/** process.kill(pid, 0) only asks; EPERM means the process exists but belongs to someone else. */
export function isProcessAlive(pid: number, probe: (pid: number) => void = (p) => process.kill(p, 0)): boolean {
  try {
    probe(pid);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function pidFileFinding(path: string, deps: LiveServerDeps): Promise<Finding> {
  let content: string;
  try {
    content = await (deps.readFile ?? readText)(path);
  } catch {
    // No pid file (or none we may read): Synapse is stopped, or the listeners will tell.
    return {};
  }
  const text = content.trim();
  if (!/^[1-9][0-9]*$/.test(text)) return {};
  const pid = Number(text);
  const alive = deps.processAlive ?? isProcessAlive;
  // A pid file left behind by a crash names a process that is gone, or by now another program.
  if (!alive(pid)) return { note: `pid file ${path} names process ${pid}, which is not running` };
  const identity = await (deps.identifyProcess ?? identifyProcess)(pid);
  switch (identity.kind) {
    case 'synapse':
      return { evidence: `pid file ${path} names running Synapse process ${pid}` };
    case 'other':
      return { note: `pid file ${path} names process ${pid} (${identity.name}), which is not Synapse` };
    case 'unknown':
      // It may have exited between the two looks; if not, assume the worst: a restart too many
      // costs a minute, a missed one leaves a change unseen.
      if (!alive(pid)) return { note: `pid file ${path} names process ${pid}, which is not running` };
      return { evidence: `pid file ${path} names running process ${pid}; ${identity.reason}, so it is taken to be Synapse` };
    default:
      return identity satisfies never;
  }
}

// What a Synapse process's command line holds, however it was started: Debian's unit and the
// docker image's start.py run `python3 -m synapse.app.homeserver` (workers:
// synapse.app.generic_worker); pip and Nix install `synapse_homeserver` / `synapse_worker`
// scripts (Nix wraps them as `.synapse_homeserver-wrapped`), which the kernel runs as
// `python3 /path/to/synapse_homeserver`. synctl is no server: it starts one of these.
const SYNAPSE_MODULE = /^synapse\.app\.[A-Za-z_]+$/;
const SYNAPSE_SCRIPT = /^\.?synapse_(homeserver|worker)(-wrapped)?$/;

/** Whether a command line (argv) is a Synapse server's. */
export function isSynapseCommand(argv: readonly string[]): boolean {
  const module = argv.some((arg, i) =>
    arg === '-m' ? SYNAPSE_MODULE.test(argv[i + 1] ?? '') : arg.startsWith('-m') && SYNAPSE_MODULE.test(arg.slice(2)),
  );
  return module || argv.slice(0, 2).some((arg) => SYNAPSE_SCRIPT.test(basename(arg)));
}

/** Reads /proc/<pid>/cmdline (Linux); the `read` parameter lets tests stand in for /proc. */
export async function identifyProcess(
  pid: number,
  read: (path: string) => Promise<string> = readText,
): Promise<ProcessIdentity> {
  let cmdline: string;
  try {
    cmdline = await read(`/proc/${pid}/cmdline`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    // ENOENT for a live pid: no /proc (not Linux), or /proc hides other users' processes.
    return { kind: 'unknown', reason: `what it runs cannot be read from /proc/${pid}/cmdline (${code})` };
  }
  const argv = cmdline.split('\0');
  if (argv.at(-1) === '') argv.pop();
  if (isSynapseCommand(argv)) return { kind: 'synapse' };
  // An empty command line is a kernel thread or a process that has exited (a zombie): no Synapse.
  const comm = await read(`/proc/${pid}/comm`).then((c) => c.trim(), () => '');
  return { kind: 'other', name: comm || basename(argv[0] ?? '') || 'no command line' };
}

export function healthUrls(listeners: Listener[]): string[] {
  const urls = new Set<string>();
  for (const listener of listeners.filter(isTcp)) {
    if (listener.http) for (const origin of listenerOrigins(listener)) urls.add(`${origin}/health`);
  }
  return [...urls];
}

/** Where a TCP listener answers on this host, e.g. http://127.0.0.1:8008 or https://[::1]:8448. */
export function listenerOrigins(listener: TcpListener): string[] {
  const addresses = listener.bindAddresses.length > 0 ? listener.bindAddresses : DEFAULT_BIND_ADDRESSES;
  return [...new Set(addresses.map((address) => {
    const host = WILDCARD_TO_LOOPBACK[address] ?? address;
    const hostInUrl = host.includes(':') ? `[${host}]` : host;
    return `${listener.tls ? 'https' : 'http'}://${hostInUrl}:${listener.port}`;
  }))];
}

export function isTcp(listener: Listener): listener is TcpListener {
  return 'port' in listener;
}

function socketPaths(listeners: Listener[]): string[] {
  const sockets = listeners.filter((l): l is UnixSocketListener => !isTcp(l) && l.http);
  return [...new Set(sockets.map((l) => l.path))];
}

async function healthFinding(
  url: string,
  httpGet: (url: string, timeoutMs: number) => Promise<HttpAnswer>,
  timeoutMs: number,
): Promise<Finding> {
  try {
    return isHealthy(await httpGet(url, timeoutMs)) ? { evidence: `${url} answered OK` } : {};
  } catch {
    return {};
  }
}

async function socketFinding(
  path: string,
  socketGet: (socketPath: string, timeoutMs: number) => Promise<HttpAnswer>,
  timeoutMs: number,
): Promise<Finding> {
  try {
    return isHealthy(await socketGet(path, timeoutMs)) ? { evidence: `unix socket ${path} answered OK on /health` } : {};
  } catch (err) {
    switch ((err as NodeJS.ErrnoException).code) {
      case 'EACCES':
      case 'EPERM':
        // The listener's `mode` shuts this user out. Only a listening Synapse or one killed
        // without cleanup leaves the socket there: assume the first, as for a pid of another user.
        return {
          evidence: `unix socket ${path} exists but this user may not connect to it, so Synapse is taken to be running (run as root or as Synapse's user to be sure)`,
        };
      case 'ECONNREFUSED':
        return { note: `unix socket ${path} exists but nothing listens on it (left by a Synapse that did not stop cleanly)` };
      default:
        return {};
    }
  }
}

function isHealthy(answer: HttpAnswer): boolean {
  return answer.status === 200 && answer.body.trim() === 'OK';
}

function readText(path: string): Promise<string> {
  return fsReadFile(path, 'utf8');
}

async function getOverLoopback(url: string, timeoutMs: number): Promise<HttpAnswer> {
  // Loaded only when there is a listener to ask: https brings TLS and crypto with it.
  const client = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  // Synapse's TLS certificate names the public host, not the address we probe, and this only
  // asks "is something answering", so the certificate is not checked.
  return get((done) => client.get(url, { rejectUnauthorized: false, agent: false, signal: AbortSignal.timeout(timeoutMs) }, done));
}

async function getOverSocket(socketPath: string, timeoutMs: number): Promise<HttpAnswer> {
  const http = await import('node:http');
  // Synapse's unix listeners serve plain HTTP; the Host header is not looked at for /health.
  return get((done) => http.get({ socketPath, path: '/health', agent: false, signal: AbortSignal.timeout(timeoutMs) }, done));
}

/** Runs one GET (no keep-alive agent: a pooled socket would hold the process open after the check). */
function get(start: (onResponse: (response: IncomingMessage) => void) => ClientRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = start((response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > HEALTH_BODY_LIMIT) response.destroy(new Error('health answer too long'));
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
