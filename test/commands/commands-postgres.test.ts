// The command table (test/command-table.ts) on a real PostgreSQL.
import { commandTable } from '../command-table.js';

commandTable('postgres');
