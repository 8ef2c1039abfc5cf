// The command table (test/command-table.ts) on SQLite.
import { commandTable } from '../command-table.js';

commandTable('sqlite');
