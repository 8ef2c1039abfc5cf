declare module 'pgpass/lib/helper.js' {
  import type { Readable } from 'node:stream';

  interface ConnInfo {
    host?: string;
    port?: string;
    database?: string;
    user?: string;
  }
  const helper: {
    getPassword(connInfo: ConnInfo, stream: Readable, cb: (password: string | undefined) => void): void;
  };
  export default helper;
}
