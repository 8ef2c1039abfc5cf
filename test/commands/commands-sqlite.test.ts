// The Synapse command table (test/synapse-cases/*.ts) on SQLite.
import { runSynapseTable } from '../helpers/synapse-table.js';

runSynapseTable('sqlite');
