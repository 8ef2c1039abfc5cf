// The set-based case-insensitive lookup apply uses must find what the single lookup of promote
// (lower(name) = lower(?)) finds, on each dialect, for names where the database's lower() and
// JavaScript's toLowerCase part ways, and across the statements of several batches.
import { afterEach, describe, expect, it } from 'vitest';
import { LOOKUP_BATCH } from '../../src/database/batches.js';
import { chooseSpelling, rowsMatchingLower } from '../../src/database/case-insensitive.js';
import { DIALECTS, emptyDatabase, type FreshDatabase } from '../helpers/databases.js';

const TRICKY = ['\u00c4b', '\u00e4b', '\u00c4B', '\u0130x', 'ix', 'stra\u00dfe', 'STRASSE', '\u03a3a', '\u03c3a', 'Bob', 'BOB', 'bob'];

let db: FreshDatabase | undefined;
afterEach(async () => {
  await db?.cleanup();
  db = undefined;
});

describe.each(DIALECTS)('rowsMatchingLower on %s', (dialect) => {
  it('finds, for each wanted name, exactly the rows lower(name) = lower(?) finds', async () => {
    db = await emptyDatabase(dialect);
    const { knex } = db;
    await knex.schema.createTable('names', (t) => t.text('name'));
    await knex('names').insert(TRICKY.filter((n) => n !== 'bob').map((name) => ({ name })));
    const wanted = [...TRICKY, 'nobody'];
    const matches = await rowsMatchingLower<{ name: string }>(knex, () => knex('names').select('name'), 'name', wanted);
    for (const w of wanted) {
      const single = (await knex('names').select('name').whereRaw('lower(name) = lower(?)', [w])).map((r) => r.name).sort();
      expect({ w, rows: (matches.get(w) ?? []).map((r) => r.name).sort() }).toEqual({ w, rows: single });
    }
    // What the review measured: the database folds only A-Z here (SQLite; PostgreSQL with LC_CTYPE C).
    expect(matches.get('\u00c4b')?.map((r) => r.name).sort()).toEqual(['\u00c4B', '\u00c4b']);
    expect(matches.get('\u00e4b')?.map((r) => r.name)).toEqual(['\u00e4b']);
    expect(matches.get('bob')?.map((r) => r.name).sort()).toEqual(['BOB', 'Bob']);
  });

  it('reads more than one batch, one row per name found', async () => {
    db = await emptyDatabase(dialect);
    const { knex } = db;
    await knex.schema.createTable('names', (t) => t.text('name'));
    const count = LOOKUP_BATCH + 3;
    for (let i = 0; i < count; i += 400) {
      await knex('names').insert(Array.from({ length: Math.min(400, count - i) }, (_, k) => ({ name: `User${i + k}` })));
    }
    const wanted = Array.from({ length: count }, (_, i) => `user${i}`);
    const matches = await rowsMatchingLower<{ name: string }>(knex, () => knex('names').select('name'), 'name', wanted);
    expect(matches.size).toBe(count);
    expect(matches.get(`user${count - 1}`)).toEqual([{ name: `User${count - 1}` }]);
  });
});

describe('chooseSpelling', () => {
  const pick = (wanted: string, names: string[]) => chooseSpelling(wanted, names, (n) => n);
  it('takes the exact spelling, else the only match, and chooses none among several', () => {
    expect(pick('Bob', ['BOB', 'Bob'])).toEqual({ row: 'Bob', ambiguous: false });
    expect(pick('bob', ['Bob'])).toEqual({ row: 'Bob', ambiguous: false });
    expect(pick('bob', ['BOB', 'Bob'])).toEqual({ ambiguous: true });
    expect(pick('bob', [])).toEqual({ ambiguous: false });
  });
});
