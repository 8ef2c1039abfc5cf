// The contract table (test/contract-cases/table.ts) on Synapse's tables on a real PostgreSQL.
import { runContractTable } from '../helpers/contract-table.js';

runContractTable('postgres');
