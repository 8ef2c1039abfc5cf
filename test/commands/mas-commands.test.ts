// The MAS command table: every case exported by test/mas-cases/*.ts runs on a real PostgreSQL
// holding Synapse's slice and MAS's slice, with a homeserver.yaml that enables
// matrix_authentication_service and MAS's config.yaml beside it. The admin table runs here; the
// credentials and apply tables in files of their own (mas-commands-*.test.ts), so that vitest can
// give them to different workers.
import { runMasTables } from '../helpers/mas-table.js';
import { adminCases } from '../mas-cases/admin.js';
import { harnessCases } from '../mas-cases/harness.js';

runMasTables([
  ['harness', harnessCases],
  ['admin', adminCases],
]);
