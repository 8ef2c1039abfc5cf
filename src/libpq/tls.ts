// libpq's sslmode and certificate settings, mapped onto Node's TLS options.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '../errors.js';
import type { PostgresConnection } from './settings.js';

function isUnixSocket(c: PostgresConnection): boolean {
  return c.host?.startsWith('/') ?? false;
}

export function prefersSslWithFallback(c: PostgresConnection): boolean {
  return !isUnixSocket(c) && (c.sslmode === undefined || c.sslmode === 'prefer' || c.sslmode === 'allow');
}

/**
 * PEM text given in place of a file name: MAS's inline ssl_ca/ssl_certificate/ssl_key, and sqlx's
 * CertificateInput, which takes text that looks like PEM as the certificate itself. libpq has no
 * such form, and no file name looks like this.
 */
export function isPem(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.startsWith('-----BEGIN') && trimmed.endsWith('-----');
}

function readCertFile(path: string, key: string): Buffer {
  if (isPem(path)) return Buffer.from(path);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `Cannot read ${key} ${path} (${(err as NodeJS.ErrnoException).code}) named in the PostgreSQL settings. Check the path.`,
    );
  }
}

/** libpq's sslmode, mapped onto Node's TLS options. */
export function sslFor(c: PostgresConnection): false | ConnectionOptions {
  if (isUnixSocket(c) || c.sslmode === 'disable') return false;
  // Without `ca`, Node checks against its own CA store: that is what sslrootcert "system" asks for.
  const rootFile = c.sslrootcert !== undefined && c.sslrootcert !== 'system' ? c.sslrootcert : undefined;
  const files = {
    ...(rootFile ? { ca: readCertFile(rootFile, 'sslrootcert') } : {}),
    ...(c.sslcert ? { cert: readCertFile(c.sslcert, 'sslcert') } : {}),
    ...(c.sslkey ? { key: readCertFile(c.sslkey, 'sslkey') } : {}),
  };
  const chainOnly = { rejectUnauthorized: true, checkServerIdentity: () => undefined };
  switch (c.sslmode) {
    case 'verify-full':
      return { ...files, rejectUnauthorized: true };
    case 'verify-ca':
      return { ...files, ...chainOnly };
    default:
      // allow, prefer (the default) and require: libpq checks the chain, but not the name, exactly
      // when it has a root certificate file; otherwise it encrypts without checking anything.
      return rootFile ? { ...files, ...chainOnly } : { ...files, rejectUnauthorized: false };
  }
}

export function isNoSslSupport(err: unknown): boolean {
  return err instanceof Error && /does not support SSL/i.test(err.message);
}
