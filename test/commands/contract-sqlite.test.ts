// The contract table (test/contract-cases/table.ts) on Synapse's tables on SQLite.
import { runContractTable } from '../helpers/contract-table.js';

runContractTable('sqlite');
