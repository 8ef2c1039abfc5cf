// The Synapse command table (test/synapse-cases/*.ts) on a real PostgreSQL.
import { runSynapseTable } from '../helpers/synapse-table.js';

runSynapseTable('postgres');
