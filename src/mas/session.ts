// Opening MAS's database for one command. (STUB: helper "mas-ops" implements.)
import type { Knex } from 'knex';
import type { SessionOptions } from '../synapse/session.js';
import type { MasConfig } from './config.js';
import type { MasSchema } from './schema.js';

export interface MasContext {
  db: Knex;
  schema: MasSchema;
  config: MasConfig;
  /** Synapse's server_name: MAS usernames are its localparts. */
  serverName: string;
  now: () => number;
}

export function withMas<T>(_config: MasConfig, _serverName: string, _opts: SessionOptions, _fn: (ctx: MasContext) => Promise<T>): Promise<T> {
  throw new Error('withMas: not implemented yet');
}
