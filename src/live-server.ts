// Is a Synapse running on this configuration? It matters because a running Synapse caches admin
// status and tokens, so the commands must tell the user to restart it.
import { readFile as fsReadFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Listener, SynapseConfig } from './config-types.js';

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface LiveServerDeps {
  readFile?: (path: string) => Promise<string>;
  processAlive?: (pid: number) => boolean;
  /** GET the URL; rejects when nothing answers within timeoutMs. */
  httpGet?: (url: string, timeoutMs: number) => Promise<HttpAnswer>;
  timeoutMs?: number;
}

export interface LiveServerReport {
  running: boolean;
  /** What showed it running, one line each, e.g. "http://127.0.0.1:8008/health answered OK". */
  evidence: string[];
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
  const [pidEvidence, ...healthEvidence] = await Promise.all([
    config.pidFile
      ? pidFileEvidence(config.pidFile, deps.readFile ?? readText, deps.processAlive ?? isProcessAlive)
      : undefined,
    ...healthUrls(config.listeners).map((url) => healthEvidenceFor(url, httpGet, timeoutMs)),
  ]);
  const evidence = [pidEvidence, ...healthEvidence].filter((line): line is string => line !== undefined);
  return { running: evidence.length > 0, evidence };
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

async function pidFileEvidence(
  path: string,
  readFile: (path: string) => Promise<string>,
  processAlive: (pid: number) => boolean,
): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(path);
  } catch {
    // No pid file (or none we may read): Synapse is stopped, or the listeners will tell.
    return undefined;
  }
  const text = content.trim();
  if (!/^[1-9][0-9]*$/.test(text)) return undefined;
  const pid = Number(text);
  // A pid file left behind by a crash names a process that is gone: that is no evidence.
  return processAlive(pid) ? `pid file ${path} names running process ${pid}` : undefined;
}

export function healthUrls(listeners: Listener[]): string[] {
  const urls = new Set<string>();
  for (const listener of listeners) {
    if (!listener.http) continue;
    const addresses = listener.bindAddresses.length > 0 ? listener.bindAddresses : DEFAULT_BIND_ADDRESSES;
    for (const address of addresses) {
      const host = WILDCARD_TO_LOOPBACK[address] ?? address;
      const hostInUrl = host.includes(':') ? `[${host}]` : host;
      urls.add(`${listener.tls ? 'https' : 'http'}://${hostInUrl}:${listener.port}/health`);
    }
  }
  return [...urls];
}

async function healthEvidenceFor(
  url: string,
  httpGet: (url: string, timeoutMs: number) => Promise<HttpAnswer>,
  timeoutMs: number,
): Promise<string | undefined> {
  try {
    const answer = await httpGet(url, timeoutMs);
    return answer.status === 200 && answer.body.trim() === 'OK' ? `${url} answered OK` : undefined;
  } catch {
    return undefined;
  }
}

function readText(path: string): Promise<string> {
  return fsReadFile(path, 'utf8');
}

function getOverLoopback(url: string, timeoutMs: number): Promise<HttpAnswer> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      {
        // Synapse's TLS certificate names the public host, not the address we probe, and this
        // only asks "is something answering", so the certificate is not checked.
        rejectUnauthorized: false,
        // No keep-alive agent: a pooled socket would hold the process open after the check.
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > HEALTH_BODY_LIMIT) response.destroy(new Error('health answer too long'));
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
  });
}
