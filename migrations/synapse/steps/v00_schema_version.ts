// Synapse's bookkeeping tables (synapse/storage/schema/common/schema_version.sql), created in the
// same words on both dialects.
import type { SchemaStep } from '../../dialect.js';

const statements = [
  `CREATE TABLE schema_version (
    Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE,
    version INTEGER NOT NULL,
    upgraded BOOL NOT NULL,
    CHECK (Lock = 'X')
  )`,
  `CREATE TABLE schema_compat_version (
    Lock CHAR(1) NOT NULL DEFAULT 'X' UNIQUE,
    compat_version INTEGER NOT NULL,
    CHECK (Lock = 'X')
  )`,
  `CREATE TABLE applied_schema_deltas (
    version INTEGER NOT NULL,
    file TEXT NOT NULL,
    UNIQUE (version, file)
  )`,
  `CREATE TABLE applied_module_schemas (
    module_name TEXT NOT NULL,
    file TEXT NOT NULL,
    UNIQUE (module_name, file)
  )`,
];

export const schemaVersionTables: SchemaStep = {
  version: 0,
  name: '0000_schema_version',
  sql: { sqlite: statements, postgres: statements },
};
