// A piece of MAS's slice. MAS is PostgreSQL-only, so a step has one dialect.
export interface MasStep {
  /** The newest MAS migration (its sqlx version) whose effect the step reproduces. */
  version: number;
  /** Unique, sortable within the variant order; knex records it once applied. */
  name: string;
  sql: readonly string[];
}
