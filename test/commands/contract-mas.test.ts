// The contract table (test/contract-cases/table.ts) on MAS beside Synapse, both on a real PostgreSQL.
import { runContractTable } from '../helpers/contract-table.js';

runContractTable('mas');
