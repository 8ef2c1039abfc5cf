// The MAS command table's apply cases (test/mas-cases/apply.ts); see mas-commands.test.ts.
import { runMasTables } from '../helpers/mas-table.js';
import { applyCases } from '../mas-cases/apply.js';

runMasTables([['apply', applyCases]]);
