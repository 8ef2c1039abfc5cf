// Racers: many copies of the CLI at once on the same new user (with and without --exists-ok),
// on distinct new users, and issuing tokens for one user. Each user that exists afterwards must
// have exactly one row in every table registration writes; each that does not, none.
import type { Knex } from 'knex';
import { outcome, runTool, type Run } from './tool.js';
import { HS, uid, type Engine, type World } from './world.js';

export interface RaceRow {
  engine: Engine;
  race: string;
  racers: number;
  exits: Record<string, number>;
  /** Users (or tokens) the racers' successes account for, and rows found. */
  expected: number;
  found: number;
  /** Users whose rows are missing or doubled in some table (must be 0). */
  inconsistent: number;
  notes: string[];
}

export function histogram(outcomes: string[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const o of [...outcomes].sort()) h[o] = (h[o] ?? 0) + 1;
  return h;
}

/** Rows per table for one new user: all 1 when registered, all 0 when not. */
async function rowCounts(knex: Knex, localpart: string, serverName: string): Promise<number[]> {
  const id = `@${localpart}:${serverName}`;
  const count = async (table: string, where: Knex.QueryCallback) => Number((await knex(table).count({ n: '*' }).where(where).first())?.n);
  return [
    await count('users', (q) => q.whereRaw('lower(name) = lower(?)', [id])),
    await count('profiles', (q) => q.where({ user_id: localpart })),
    await count('user_directory', (q) => q.where({ user_id: id })),
    await count('user_directory_search', (q) => q.where({ user_id: id })),
    await count('user_stats_current', (q) => q.where({ user_id: id })),
  ];
}

export interface RaceTarget {
  engine: Engine;
  config: string;
  serverName: string;
  passwordFile: string;
  connect(): Knex;
}

/** Racers registering `localparts` at once (the same name repeated, or distinct names). */
export async function registerRace(t: RaceTarget, race: string, localparts: string[], existsOk: boolean): Promise<RaceRow> {
  const { engine } = t;
  const runs: Run[] = await Promise.all(
    localparts.map((lp) =>
      runTool(['-c', t.config, '--yes', '--json', 'register', lp, '--admin', '--password-file', t.passwordFile, ...(existsOk ? ['--exists-ok'] : [])]),
    ),
  );
  const knex = t.connect();
  const row: RaceRow = { engine, race, racers: runs.length, exits: histogram(runs.map(outcome)), expected: 0, found: 0, inconsistent: 0, notes: [] };
  try {
    for (const lp of new Set(localparts)) {
      const counts = await rowCounts(knex, lp, t.serverName);
      const succeeded = runs.some((r, i) => localparts[i] === lp && r.code === 0);
      row.expected += succeeded ? 1 : 0;
      row.found += counts[0]!;
      if (!counts.every((c) => c === (succeeded ? 1 : 0))) {
        row.inconsistent += 1;
        row.notes.push(`${lp}: users/profiles/user_directory/search/stats rows ${counts.join('/')}`);
      }
    }
    const created = runs.filter((r) => r.code === 0 && /"created":true/.test(r.stdout)).length;
    if (created !== row.found) row.notes.push(`${created} racers said they created a user, ${row.found} users exist`);
  } finally {
    await knex.destroy();
  }
  for (const r of runs) if (r.code !== 0 && r.code !== 6) row.notes.push(`exit ${outcome(r)}: ${r.stderr.trim().split('\n')[0]}`);
  return row;
}

async function tokenRace(w: World, engine: Engine, racers: number): Promise<RaceRow> {
  const db = await w.fresh(engine);
  const config = w.config(db);
  const runs = await Promise.all(Array.from({ length: racers }, () => runTool(['-c', config, '--yes', 'issue-token', 'admin'])));
  const knex = db.connect();
  try {
    const tokens = runs.filter((r) => r.code === 0).map((r) => r.stdout.trim());
    const rows: Array<{ id: unknown; token: string }> = await knex('access_tokens').select('id', 'token').where({ user_id: uid('admin') });
    const stored = new Set(rows.map((r) => r.token));
    const missing = tokens.filter((t) => !stored.has(t)).length;
    return {
      engine,
      race: 'issue-token, one user',
      racers,
      exits: histogram(runs.map(outcome)),
      expected: tokens.length,
      found: rows.length,
      inconsistent: missing + (rows.length - tokens.length),
      notes: [
        ...(missing > 0 ? [`${missing} printed tokens are not in the database`] : []),
        ...[...new Set(runs.filter((r) => r.code !== 0).map((r) => `exit ${outcome(r)}: ${r.stderr.trim().split('\n')[0]}`))],
      ],
    };
  } finally {
    await knex.destroy();
  }
}

export interface RaceSizes {
  sameUser: number;
  distinctUsers: number;
  tokens: number;
}

export const REGISTER_RACES = (n: RaceSizes) =>
  [
    ['register, same new user', Array(n.sameUser).fill('racer'), false],
    ['register --exists-ok, same new user', Array(n.sameUser).fill('okracer'), true],
    ['register, distinct new users', Array.from({ length: n.distinctUsers }, (_, i) => `racer${i}`), false],
  ] as const;

export async function races(w: World, engine: Engine, n: RaceSizes): Promise<RaceRow[]> {
  const rows: RaceRow[] = [];
  for (const [race, localparts, existsOk] of REGISTER_RACES(n)) {
    const db = await w.fresh(engine);
    const target = { engine, config: w.config(db), serverName: HS, passwordFile: w.passwordFile, connect: db.connect };
    rows.push(await registerRace(target, race, [...localparts], existsOk));
  }
  rows.push(await tokenRace(w, engine, n.tokens));
  return rows;
}
