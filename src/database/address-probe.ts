// What listens at a TCP address that did not answer as PostgreSQL: a sysadmin who typed Synapse's
// HTTP port into database.args.port should be told so, not left with "timeout expired".
import { connect } from 'node:net';

const PROBE_TIMEOUT_MS = 2_000;
const SHOWN_CHARS = 40;

/** A phrase that completes "at host:port there is ...". */
export async function whatListensAt(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let connected = false;
    let done = false;
    const finish = (phrase: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(phrase);
    };
    const timer = setTimeout(
      () =>
        finish(
          !connected
            ? 'nothing that completes a TCP connection (a firewall dropping packets, or the wrong host)'
            : chunks.length > 0
              ? describeReply(Buffer.concat(chunks))
              : 'a service that accepts connections but answers nothing: not PostgreSQL, or a PostgreSQL that hangs',
        ),
      timeoutMs,
    );
    socket.on('connect', () => {
      connected = true;
      // An HTTP request: what a web server answers at once, and what PostgreSQL answers with an error.
      socket.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const reply = Buffer.concat(chunks);
      if (reply.includes('\r\n\r\n') || reply.length > 4096) finish(describeReply(reply));
    });
    socket.on('close', () =>
      finish(chunks.length > 0 ? describeReply(Buffer.concat(chunks)) : 'a service that accepts connections and closes them without a word'),
    );
    socket.on('error', (err: NodeJS.ErrnoException) => finish(`nothing that accepts connections now (${err.code ?? err.message})`));
  });
}

function describeReply(reply: Buffer): string {
  const text = reply.toString('latin1');
  if (text.startsWith('HTTP/')) {
    const server = /^server:[ \t]*(.*)$/im.exec(text)?.[1]?.trim();
    const synapse = server !== undefined && /synapse/i.test(server);
    return (
      `an HTTP server${server ? ` (Server: ${printable(server)})` : ''}` +
      (synapse ? ": Synapse's own HTTP listener, not its database" : ', not PostgreSQL')
    );
  }
  // PostgreSQL answers a request it cannot read with an ErrorResponse: 'E', then a length.
  if (reply[0] === 0x45 && reply.length >= 5 && reply.readUInt32BE(1) < 10_000) {
    return 'a PostgreSQL server that answers only slowly (it may be overloaded; retry, or raise connect_timeout)';
  }
  return `a service that is not PostgreSQL; it answered "${printable(text)}"`;
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[^\x20-\x7e]/g, '.');
  return clean.length > SHOWN_CHARS ? `${clean.slice(0, SHOWN_CHARS)}...` : clean;
}
