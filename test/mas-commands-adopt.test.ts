// The MAS command table's adopt cases (test/mas-cases/adopt.ts); see mas-commands.test.ts.
import { runMasTables } from './helpers/mas-table.js';
import { adoptCases } from './mas-cases/adopt.js';

runMasTables([['adopt', adoptCases]]);
