// Every row of every table, to tell "as before", "as a completed run leaves it" and anything else
// (a partial state) apart, whatever tables a command (or a later fix) touches.
import type { Knex } from 'knex';
import type { Db } from './world.js';

export type Snapshot = Record<string, Record<string, unknown>[]>;

export async function snapshot(db: Db): Promise<Snapshot> {
  const knex = db.connect();
  try {
    const tables: string[] =
      db.engine === 'sqlite'
        ? (await knex.raw("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((r: { name: string }) => r.name)
        : (
            await knex.raw(
              "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
            )
          ).rows.map((r: { name: string }) => r.name);
    const out: Snapshot = {};
    for (const t of tables) out[t] = await rows(knex, db.engine, t);
    return out;
  } finally {
    await knex.destroy();
  }
}

// tsvector has no JSON form of its own; its text form compares fine.
async function rows(knex: Knex, engine: Db['engine'], table: string): Promise<Record<string, unknown>[]> {
  if (engine === 'postgres' && table === 'user_directory_search') {
    return (await knex.raw('SELECT user_id, vector::text AS vector FROM user_directory_search')).rows;
  }
  return knex(table).select('*');
}

/**
 * Values that differ between two complete runs of the same command (a fresh hash, token, clock
 * reading) become "NEW" unless the before state already held them, so runs can be compared.
 */
const VOLATILE = new Set(['password_hash', 'creation_ts', 'token', 'valid_until_ms', 'last_validated', 'ts', 'last_seen']);

export function normalize(snap: Snapshot, before: Snapshot): string {
  const out: Record<string, string[]> = {};
  for (const [table, list] of Object.entries(snap)) {
    const known = new Set((before[table] ?? []).flatMap((r) => Object.entries(r).map(([c, v]) => `${c}=${JSON.stringify(v)}`)));
    out[table] = list
      .map((r) =>
        JSON.stringify(
          Object.fromEntries(
            Object.entries(r).map(([c, v]) => [c, VOLATILE.has(c) && !known.has(`${c}=${JSON.stringify(v)}`) ? 'NEW' : v]),
          ),
        ),
      )
      .sort();
  }
  return JSON.stringify(out);
}

/** Exact comparison: for runs that must not have changed anything. */
export function same(a: Snapshot, b: Snapshot): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(s: Snapshot): Record<string, string[]> {
  return Object.fromEntries(Object.entries(s).map(([t, l]) => [t, l.map((r) => JSON.stringify(r)).sort()]));
}

/** Names the tables whose rows differ, for the report. */
export function changedTables(a: Snapshot, b: Snapshot): string[] {
  const sa = sorted(a);
  const sb = sorted(b);
  return [...new Set([...Object.keys(sa), ...Object.keys(sb)])].filter((t) => JSON.stringify(sa[t]) !== JSON.stringify(sb[t]));
}

export async function integrityCheck(db: Db): Promise<string> {
  const knex = db.connect();
  try {
    const rows: Array<{ integrity_check: string }> = await knex.raw('PRAGMA integrity_check');
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    await knex.destroy();
  }
}
