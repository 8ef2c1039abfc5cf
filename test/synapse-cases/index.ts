// The Synapse command table, one file per command (and preamble.ts for what every command meets
// first), in the order the runner (test/helpers/synapse-table.ts) gives them to vitest.
import * as apply from './apply.js';
import * as check from './check.js';
import * as demote from './demote.js';
import * as issueToken from './issue-token.js';
import * as listAdmins from './list-admins.js';
import * as preamble from './preamble.js';
import * as promote from './promote.js';
import * as register from './register.js';
import * as setPassword from './set-password.js';
import type { SynapseCase, SynapseTest } from './types.js';
import * as unlock from './unlock.js';

export interface SynapseTable {
  cases: SynapseCase[];
  tests?: SynapseTest[];
}

export const SYNAPSE_TABLES: [string, SynapseTable][] = [
  ['preamble', preamble],
  ['promote', promote],
  ['demote', demote],
  ['unlock', unlock],
  ['register', register],
  ['set-password', setPassword],
  ['issue-token', issueToken],
  ['list-admins', listAdmins],
  ['check', check],
  ['apply', apply],
];
