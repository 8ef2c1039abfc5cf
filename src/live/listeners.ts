// Where the running Synapse serves its Admin API on this host, from homeserver.yaml's listeners.
// Never public_baseurl: reverse proxies often block /_synapse/admin, and it may be another host.
import type { Listener, UnixSocketListener } from '../config/types.js';
import { isTcp, listenerOrigins } from '../synapse/live-server.js';

export type ClientEndpoint =
  | { kind: 'unix'; socketPath: string; label: string }
  | {
      kind: 'tcp';
      /** e.g. http://127.0.0.1:8008 */
      origin: string;
      /**
       * TLS on loopback: the certificate names the public host, not 127.0.0.1, so it is not
       * checked (the messages say so).
       */
      tls: boolean;
      label: string;
    };

/**
 * The endpoints to try, in order: unix sockets first (only this host's users with the socket's
 * mode may connect), then each TCP listener in the config's order, a wildcard bind taken as
 * loopback. Only http listeners with the `client` resource serve /_synapse/admin.
 */
export function clientEndpoints(listeners: readonly Listener[]): ClientEndpoint[] {
  const usable = listeners.filter((l) => l.http && l.client);
  const sockets = usable.filter((l): l is UnixSocketListener => !isTcp(l));
  const endpoints: ClientEndpoint[] = [...new Set(sockets.map((l) => l.path))].map((socketPath) => ({
    kind: 'unix',
    socketPath,
    label: `unix socket ${socketPath}`,
  }));
  const origins = new Set<string>();
  for (const listener of usable.filter(isTcp)) {
    for (const origin of listenerOrigins(listener)) {
      if (origins.has(origin)) continue;
      origins.add(origin);
      endpoints.push({
        kind: 'tcp',
        origin,
        tls: listener.tls,
        label: listener.tls ? `${origin} (TLS, certificate not checked)` : origin,
      });
    }
  }
  return endpoints;
}
