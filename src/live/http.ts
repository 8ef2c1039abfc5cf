// A small HTTP client for Synapse's client listeners: over a unix socket or loopback TCP, with a
// timeout, JSON in and out. The access token goes in a header and nowhere else: no error, log or
// message built here ever holds it.
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { ClientEndpoint } from './listeners.js';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface ApiCall {
  method: Method;
  /** Path and query, user IDs already encoded (see userPath). */
  path: string;
  body?: unknown;
}

export interface ApiReply {
  status: number;
  /** Parsed JSON, or the text when the answer is not JSON. */
  body: unknown;
}

/** The transport failed (nothing listening, a timeout, a broken answer): no HTTP status at all. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

// Synapse's answers here are small; a listener that streams more is not Synapse.
const BODY_LIMIT = 1024 * 1024;

export const DEFAULT_TIMEOUT_MS = 10_000;

/** A user ID in a path: Synapse's admin routes take it percent-encoded. */
export function userPath(prefix: string, userId: string, suffix = ''): string {
  return `${prefix}${encodeURIComponent(userId)}${suffix}`;
}

/** How a call reads in a plan or a message (never with the token). */
export function describeCall(call: ApiCall): string {
  return `${call.method} ${call.path}${call.body === undefined ? '' : ` ${JSON.stringify(redactBody(call.body))}`}`;
}

/** Passwords in a body are shown as "<redacted>", as tokens are never shown. */
function redactBody(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, /password/i.test(k) ? '<redacted>' : v]));
}

export async function request(endpoint: ClientEndpoint, call: ApiCall, token?: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ApiReply> {
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body), 'utf8');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  // No keep-alive agent: a pooled socket would hold the process open after the command.
  const common: RequestOptions = { method: call.method, headers, agent: false, signal: AbortSignal.timeout(timeoutMs) };
  const what = `${call.method} ${call.path} on ${endpoint.label}`;
  let start: (done: (response: IncomingMessage) => void) => ClientRequest;
  if (endpoint.kind === 'unix') {
    const http = await import('node:http');
    // Synapse's unix listeners serve plain HTTP; the Host header is not looked at.
    start = (done) => http.request({ ...common, socketPath: endpoint.socketPath, path: call.path }, done);
  } else {
    const client = endpoint.tls ? await import('node:https') : await import('node:http');
    const url = new URL(call.path, endpoint.origin);
    start = (done) => client.request(url, { ...common, rejectUnauthorized: false }, done);
  }
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      const code = err.name === 'AbortError' || err.name === 'TimeoutError' ? 'ETIMEDOUT' : err.code;
      const reason = code === 'ETIMEDOUT' ? `no answer within ${timeoutMs / 1000} s` : (code ?? err.message);
      reject(new TransportError(`${what} failed: ${reason}`, code));
    };
    const req = start((response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > BODY_LIMIT) response.destroy(Object.assign(new Error('answer too long'), { code: 'EMSGSIZE' }));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // /health answers "OK"; errors from a proxy may be HTML: keep the text.
        }
        resolve({ status: response.statusCode ?? 0, body });
      });
      response.on('error', fail);
    });
    req.on('error', fail);
    req.end(payload);
  });
}

/** Synapse's errcode and error from a JSON error answer, for messages. */
export function describeReply(reply: ApiReply): string {
  const body = reply.body as { errcode?: unknown; error?: unknown } | undefined;
  const detail =
    body !== null && typeof body === 'object' && typeof body.errcode === 'string'
      ? ` ${body.errcode}${typeof body.error === 'string' ? `: ${body.error}` : ''}`
      : '';
  return `${reply.status}${detail}`;
}

export interface ConfirmedServer {
  endpoint: ClientEndpoint;
  serverVersion: string;
}

export interface Discovery {
  server?: ConfirmedServer;
  /** Why each endpoint tried before it could not be used, one line each. */
  notes: string[];
}

/**
 * The first endpoint that answers /health with OK and /_synapse/admin/v1/server_version (no token
 * needed) with a version: a listener that answers but hides /_synapse/admin is passed over.
 */
export async function findAdminApi(endpoints: readonly ClientEndpoint[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Discovery> {
  const notes: string[] = [];
  for (const endpoint of endpoints) {
    try {
      const health = await request(endpoint, { method: 'GET', path: '/health' }, undefined, timeoutMs);
      if (health.status !== 200 || String(health.body).trim() !== 'OK') {
        notes.push(`${endpoint.label}: /health answered ${health.status}, not OK`);
        continue;
      }
      const version = await request(endpoint, { method: 'GET', path: '/_synapse/admin/v1/server_version' }, undefined, timeoutMs);
      const serverVersion = (version.body as { server_version?: unknown } | undefined)?.server_version;
      if (version.status !== 200 || typeof serverVersion !== 'string') {
        notes.push(`${endpoint.label}: /_synapse/admin/v1/server_version answered ${describeReply(version)} (is /_synapse/admin blocked?)`);
        continue;
      }
      return { server: { endpoint, serverVersion }, notes };
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      notes.push(err.message);
    }
  }
  return { notes };
}
