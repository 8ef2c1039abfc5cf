// What the Synapse command table's cases share.
import type { Knex } from 'knex';

export const HS = 'example.test';
export const PASSWORD_SETTINGS = { pepper: '' };

export async function userRow(db: Knex, name: string) {
  return db('users').first('*').where({ name });
}

export const bool = (v: unknown) => v === true || v === 1;
