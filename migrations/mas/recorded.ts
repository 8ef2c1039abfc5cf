// What scripts/mas-schema/record.ts reads from a real MAS database built by MAS's own migrations,
// and the shape of the file it writes (recorded-schema.json, beside this file).
import type { ExpectedColumn } from '../synapse/tables.js';

/** The MAS tables synapse-admin-bootstrap reads or writes, plus MAS's migration bookkeeping. */
export const MAS_TABLES = [
  '_sqlx_migrations',
  'users',
  'user_passwords',
  'user_emails',
  'user_sessions',
  'compat_sessions',
  'compat_access_tokens',
  'compat_refresh_tokens',
  'oauth2_sessions',
  'personal_sessions',
  'personal_access_tokens',
  'queue_workers',
  'queue_jobs',
] as const;

export type MasTable = (typeof MAS_TABLES)[number];

export const MAS_ENUMS = ['queue_job_status'] as const;

export interface ShapeSelection {
  /** The newest migration the release ships; 'all' = every migration of the checkout. */
  upTo: number | 'all';
  /** Older-dated migrations that only later releases added (MAS merges some with back-dated names). */
  except?: readonly number[];
}

/**
 * The releases whose shape is recorded. 0.13.0 is the oldest MAS with the job queue (queue_jobs),
 * which the tool needs to hand its changes to MAS's worker; its file list (git ls-tree v0.13.0)
 * lacks 20250114135939_allow_deviceless_compat_sessions, which came with 0.14.0.
 */
export const RECORDED_SHAPES = {
  '1.22': { upTo: 'all' },
  '0.13': { upTo: 20250115155255, except: [20250114135939] },
} as const satisfies Record<string, ShapeSelection>;

/**
 * Migrations that later releases added with names older than an earlier release's newest one
 * (found by comparing the file lists of every v* tag up to 1.22.0 with the checkout's). A database
 * of such an earlier release lacks them without anything being pending.
 */
export const BACKDATED_MIGRATIONS: readonly number[] = [
  20250114135939, 20250708155857, 20260108144040, 20260108145240, 20260121104214, 20260403000001,
];

export const inShape = (selection: ShapeSelection, version: number) =>
  (selection.upTo === 'all' || version <= selection.upTo) && !(selection.except ?? []).includes(version);

export type RecordedShapeName = keyof typeof RECORDED_SHAPES;

export interface RecordedShape {
  newestMigration: number;
  tables: Partial<Record<MasTable, ExpectedColumn[]>>;
  /** Column sets of each unique index or constraint, as "a,b" (migrations/introspect.ts). */
  uniqueKeys: Partial<Record<MasTable, string[]>>;
  enums: Record<string, string[]>;
}

export interface RecordedSchema {
  /** Repository, commit and folder the migrations came from. */
  source: string;
  migrations: { version: number; description: string; checksum: string; noTransaction: boolean }[];
  shapes: Record<string, RecordedShape>;
}
