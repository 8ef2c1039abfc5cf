// Every case of the command tables can be run alone with `vitest -t '<its name>'`: vitest reads
// the name as a regular expression and matches it against each test's full name (its describes'
// names and its own, joined by spaces), so a name must match its own full name and no other. The
// tables are checked as wholes, which is stronger than per file: the Synapse table on one dialect,
// every MAS table together, and the contract table on every store.
import { describe, expect, it } from 'vitest';
import { CONTRACT_CASES } from '../contract-cases/table.js';
import { contractSuite } from '../helpers/contract-table.js';
import { masTableSuite } from '../helpers/mas-table.js';
import { synapseTableSuite } from '../helpers/synapse-table.js';
import { adminCases } from '../mas-cases/admin.js';
import { adoptApplyCases, adoptCases } from '../mas-cases/adopt.js';
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
    // test/commands/mas-commands-adopt.test.ts
    ['adopt', adoptCases],
    ['apply adopt: true', adoptApplyCases],
  ] as const
).flatMap(([table, cases]) => cases.map((c) => ({ name: c.name, suites: [masTableSuite(table)] })));

const contract: Named[] = (['sqlite', 'postgres', 'mas'] as const).flatMap((store) =>
  CONTRACT_CASES.map((c) => ({ name: c.name, suites: [contractSuite(store)] })),
);

describe('command table case names', () => {
  it.each([
    ['Synapse', synapse],
    ['MAS', mas],
  ])('each case of the %s table is selected by its name alone', (_table, tests) => {
    expect(tests.length).toBeGreaterThan(50);
    expect(unfindable(tests)).toEqual([]);
  });

  // One case on every store: its name selects it once per store, so never more than three times.
  it('each case of the contract table is selected by its name on each store, once', () => {
    expect(CONTRACT_CASES.length).toBeGreaterThan(10);
    for (const store of ['sqlite', 'postgres', 'mas'] as const) {
      const own = contract.filter((t) => t.suites[0] === contractSuite(store));
      expect(unfindable(own)).toEqual([]);
    }
    expect(unfindable(contract).every((t) => t.selects.length === 3)).toBe(true);
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
