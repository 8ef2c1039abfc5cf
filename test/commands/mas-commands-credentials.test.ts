// The MAS command table's credentials cases (test/mas-cases/credentials.ts); see mas-commands.test.ts.
import { runMasTables } from '../helpers/mas-table.js';
import { credentialCases } from '../mas-cases/credentials.js';

runMasTables([['credentials', credentialCases]]);
