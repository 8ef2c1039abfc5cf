// The tables the tool touches as MAS 0.13.0 leaves them (the oldest MAS with the job queue),
// written from the column facts in recorded-schema.json and ../../../shared/mas-facts.md, not from
// MAS's SQL. Tables outside the slice (oauth2_clients, queue_schedules) are not built, so the
// columns that point at them carry no foreign key here.
import type { MasStep } from '../steps.js';

const ts = 'TIMESTAMP WITH TIME ZONE';

export const mas013: MasStep = {
  version: 20250115155255,
  name: '20250115155255_tables',
  sql: [
    `CREATE TABLE users (
      user_id UUID PRIMARY KEY,
      username TEXT NOT NULL CONSTRAINT users_username_unique UNIQUE,
      created_at ${ts} NOT NULL,
      locked_at ${ts},
      can_request_admin BOOLEAN NOT NULL DEFAULT FALSE,
      primary_user_email_id UUID
    )`,
    `CREATE TABLE user_passwords (
      user_password_id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users (user_id),
      hashed_password TEXT NOT NULL,
      created_at ${ts} NOT NULL,
      version INTEGER NOT NULL,
      upgraded_from_id UUID REFERENCES user_passwords (user_password_id) ON DELETE SET NULL
    )`,
    `CREATE TABLE user_emails (
      user_email_id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
      email TEXT NOT NULL,
      created_at ${ts} NOT NULL,
      confirmed_at ${ts}
    )`,
    `ALTER TABLE users ADD CONSTRAINT users_primary_email_fkey
      FOREIGN KEY (primary_user_email_id) REFERENCES user_emails (user_email_id) ON DELETE SET NULL`,
    `CREATE TABLE user_sessions (
      user_session_id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users (user_id),
      created_at ${ts} NOT NULL,
      finished_at ${ts},
      user_agent TEXT,
      last_active_at ${ts},
      last_active_ip INET
    )`,
    `CREATE TABLE compat_sessions (
      compat_session_id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users (user_id),
      device_id TEXT NOT NULL,
      created_at ${ts} NOT NULL,
      finished_at ${ts},
      is_synapse_admin BOOLEAN NOT NULL DEFAULT FALSE,
      last_active_at ${ts},
      last_active_ip INET,
      user_session_id UUID REFERENCES user_sessions (user_session_id),
      user_agent TEXT
    )`,
    `CREATE TABLE compat_access_tokens (
      compat_access_token_id UUID PRIMARY KEY,
      compat_session_id UUID NOT NULL REFERENCES compat_sessions (compat_session_id),
      access_token TEXT NOT NULL UNIQUE,
      created_at ${ts} NOT NULL,
      expires_at ${ts}
    )`,
    `CREATE TABLE compat_refresh_tokens (
      compat_refresh_token_id UUID PRIMARY KEY,
      compat_session_id UUID NOT NULL REFERENCES compat_sessions (compat_session_id),
      compat_access_token_id UUID NOT NULL REFERENCES compat_access_tokens (compat_access_token_id),
      refresh_token TEXT NOT NULL UNIQUE,
      created_at ${ts} NOT NULL,
      consumed_at ${ts}
    )`,
    `CREATE TABLE oauth2_sessions (
      oauth2_session_id UUID PRIMARY KEY,
      user_id UUID REFERENCES users (user_id),
      user_session_id UUID REFERENCES user_sessions (user_session_id),
      oauth2_client_id UUID NOT NULL,
      scope_list TEXT[] NOT NULL,
      created_at ${ts} NOT NULL,
      finished_at ${ts},
      user_agent TEXT,
      last_active_at ${ts},
      last_active_ip INET
    )`,
    `CREATE TABLE queue_workers (
      queue_worker_id UUID PRIMARY KEY,
      registered_at ${ts} NOT NULL,
      last_seen_at ${ts} NOT NULL,
      shutdown_at ${ts}
    )`,
    `CREATE TYPE queue_job_status AS ENUM ('available', 'running', 'completed', 'lost', 'failed', 'scheduled')`,
    `CREATE TABLE queue_jobs (
      queue_job_id UUID PRIMARY KEY,
      status queue_job_status NOT NULL DEFAULT 'available',
      created_at ${ts} NOT NULL,
      started_at ${ts},
      started_by UUID REFERENCES queue_workers (queue_worker_id),
      completed_at ${ts},
      queue_name TEXT NOT NULL,
      payload JSONB NOT NULL DEFAULT '{}',
      metadata JSONB NOT NULL DEFAULT '{}',
      failed_at ${ts},
      failed_reason TEXT,
      attempt INTEGER NOT NULL DEFAULT 0,
      next_attempt_id UUID REFERENCES queue_jobs (queue_job_id),
      scheduled_at ${ts},
      schedule_name TEXT
    )`,
    // MAS's worker listens on queue_available and wakes when a job becomes available; the payload
    // is {"queue" : <name>} (json_build_object's own spacing, as measured on MAS's trigger).
    `CREATE FUNCTION sab_queue_jobs_notify() RETURNS TRIGGER AS $$
    BEGIN
      IF NEW.status = 'available' THEN
        PERFORM pg_notify('queue_available', json_build_object('queue', NEW.queue_name)::text);
      END IF;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql`,
    `CREATE TRIGGER queue_jobs_notify AFTER INSERT OR UPDATE OF status ON queue_jobs
      FOR EACH ROW EXECUTE FUNCTION sab_queue_jobs_notify()`,
  ],
};
