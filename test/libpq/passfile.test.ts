// libpq's passfile rules (passwordFromFile in fe-connect.c), on real files.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passwordFromPassfile } from '../../src/libpq/passfile.js';
import { tempDir } from '../helpers/temp-tree.js';

const SOCKET_DIR = '/var/run/postgresql';
const QUERY = { host: 'db.test', port: 5432, database: 'synapse', user: 'synapse' };

function passfile(content: string, mode = 0o600): string {
  const file = join(tempDir('sab-passfile-'), 'pgpass');
  writeFileSync(file, content);
  chmodSync(file, mode);
  return file;
}

describe("libpq's passfile", () => {
  it.each([
    ['the first matching line wins', 'db.test:5432:synapse:synapse:first\n*:*:*:*:second\n', QUERY, 'first'],
    ['* matches any field', 'other:*:*:*:no\n*:5432:*:synapse:yes\n', QUERY, 'yes'],
    ['escaped colons and backslashes', 'db.test:5432:synapse:synapse:p\\:w\\\\d\n', QUERY, 'p:w\\d'],
    ['an escaped * is a literal star', 'db.test:5432:synapse:\\*:no\n*:*:*:*:yes\n', QUERY, 'yes'],
    ['comments and CRLF line ends', '# db.test:5432:synapse:synapse:comment\r\ndb.test:5432:synapse:synapse:crlf\r\n', QUERY, 'crlf'],
    ['localhost for the default socket directory', 'localhost:5432:synapse:synapse:sock\n', { ...QUERY, host: SOCKET_DIR }, 'sock'],
    ['another socket directory by its path', '/run/pg:5432:synapse:synapse:path\n', { ...QUERY, host: '/run/pg' }, 'path'],
  ])('%s', async (_, content, query, password) => {
    expect(await passwordFromPassfile(passfile(content), query, SOCKET_DIR)).toEqual({ found: true, password });
  });

  it('says why nothing came from it, never showing a password', async () => {
    const missing = await passwordFromPassfile('/nonexistent/pgpass', QUERY, SOCKET_DIR);
    expect(missing).toEqual({ found: false, reason: 'there is no passfile /nonexistent/pgpass' });
    const noLine = await passwordFromPassfile(passfile('other:5432:synapse:synapse:Hidden-1\n'), QUERY, SOCKET_DIR);
    expect(noLine).toMatchObject({ found: false, reason: expect.stringContaining('has no line for db.test:5432:synapse:synapse') });
    const open = await passwordFromPassfile(passfile('*:*:*:*:Hidden-2\n', 0o640), QUERY, SOCKET_DIR);
    expect(open).toMatchObject({ found: false, reason: expect.stringContaining('can be read by group or others') });
    expect(JSON.stringify([noLine, open])).not.toMatch(/Hidden/);
  });
});
