// HTTP(S) servers a test file starts on loopback or a unix socket, and a temporary folder for its
// sockets and certificates: each server is closed after its test, the folder after the file.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type http from 'node:http';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';

export interface LocalServers {
  /** Servers to close after the current test. */
  servers: Array<http.Server | https.Server>;
  /** The file's temporary folder (set before its first test). */
  dir(): string;
  /** A self-signed certificate for another name, as a real server's looks from loopback. */
  selfSignedCertificate(): Promise<{ key: string; cert: string }>;
}

export function localServers(prefix: string): LocalServers {
  const servers: Array<http.Server | https.Server> = [];
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
  });
  const folder = () => {
    if (dir === undefined) throw new Error('localServers: the folder is made in beforeAll');
    return dir;
  };
  return {
    servers,
    dir: folder,
    async selfSignedCertificate() {
      const key = join(folder(), 'key.pem');
      const cert = join(folder(), 'cert.pem');
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-subj', '/CN=matrix.example.org', '-days', '1',
      ], { stdio: 'ignore' });
      return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
    },
  };
}
