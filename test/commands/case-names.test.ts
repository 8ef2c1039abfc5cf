// Every case of the command tables can be run alone with `vitest -t '<its name>'`: vitest reads
// the name as a regular expression and matches it against each test's full name (its describes'
// names and its own, joined by spaces), so a name must match its own full name and no other. The
// tables are checked as wholes, which is stronger than per file: the Synapse table on one dialect,
// and every MAS table together.
import { describe, expect, it } from 'vitest';
import { masTableSuite } from '../helpers/mas-table.js';
import { synapseTableSuite } from '../helpers/synapse-table.js';
import { adminCases } from '../mas-cases/admin.js';
import { applyCases } from '../mas-cases/apply.js';
import { credentialCases } from '../mas-cases/credentials.js';
import { harnessCases } from '../mas-cases/harness.js';
import { SYNAPSE_TABLES } from '../synapse-cases/index.js';

/** A test's own name and the describes around it, outermost first. */
type Named = { name: string; suites: string[] };

/** The tests whose names do not select exactly themselves, each with what its name selects. */
function unfindable(tests: Named[]): { name: string; selects: string[] }[] {
  const full = tests.map((t) => [...t.suites, t.name].join(' '));
  const out: { name: string; selects: string[] }[] = [];
  tests.forEach((t, i) => {
    let pattern: RegExp;
    try {
      pattern = new RegExp(t.name);
    } catch {
      out.push({ name: t.name, selects: ['(not a valid regular expression)'] });
      return;
    }
    const selects = full.filter((f) => pattern.test(f));
    if (selects.length !== 1 || selects[0] !== full[i]) out.push({ name: t.name, selects });
  });
  return out;
}

const synapse: Named[] = SYNAPSE_TABLES.flatMap(([command, table]) =>
  [...table.cases, ...(table.tests ?? [])].map((c) => ({ name: c.name, suites: [synapseTableSuite('sqlite'), command] })),
);

const mas: Named[] = (
  [
    ['harness', harnessCases],
    ['admin', adminCases],
    ['credentials', credentialCases],
    ['apply', applyCases],
  ] as const
).flatMap(([table, cases]) => cases.map((c) => ({ name: c.name, suites: [masTableSuite(table)] })));

describe('command table case names', () => {
  it.each([
    ['Synapse', synapse],
    ['MAS', mas],
  ])('each case of the %s table is selected by its name alone', (_table, tests) => {
    expect(tests.length).toBeGreaterThan(50);
    expect(unfindable(tests)).toEqual([]);
  });

  it('the check catches a name that is a prefix of another, and one with a regular-expression group', () => {
    const tests = [
      { name: 'promote of a user', suites: ['s', 'promote'] },
      { name: 'promote of a user who is a guest', suites: ['s', 'promote'] },
      { name: 'promote of an admin (twice)', suites: ['s', 'promote'] },
    ];
    expect(unfindable(tests).map((t) => t.name)).toEqual(['promote of a user', 'promote of an admin (twice)']);
  });
});
