// The MAS command table's adopt cases, the command and apply's adopt: true (test/mas-cases/adopt.ts);
// see mas-commands.test.ts.
import { runMasTables } from '../helpers/mas-table.js';
import { adoptApplyCases, adoptCases } from '../mas-cases/adopt.js';

runMasTables([
  ['adopt', adoptCases],
  ['apply adopt: true', adoptApplyCases],
]);
