import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Knex } from 'knex';
import { inChroot } from './chroot.js';
import type { E2eContext } from './context.js';
import { openPg, openSqlite, withKnex } from './db.js';
import { freePort, waitFor } from './net.js';
import { createDatabase, dropDatabase } from './postgres.js';
import { isAlive, pidFileWatcher, readPidFile, terminate } from './process.js';

export type Engine = 'sqlite' | 'postgres';

export interface HomeserverOptions {
  /** Directory name and first label of server_name (`<name>.test`); also names the PG database. */
  name: string;
  engine: Engine;
  /**
   * How psycopg2 reaches PostgreSQL: TCP with `dbname`, the unix socket with `database`, or TCP
   * as a role the server lets in over TLS only, with `sslmode: verify-full` and the CA.
   */
  pgVia?: 'tcp' | 'socket' | 'tls';
  /** More psycopg2 args, e.g. `options: "-c search_path=matrix"`; the harness's own reads use its options too. */
  pgArgs?: Record<string, unknown>;
  pepper?: string;
  bcryptRounds?: number;
  /** homeserver.yaml plus a conf.d/ directory of several files, as Debian deploys it. */
  split?: boolean;
  /** Extra top-level config keys (they land in homeserver.yaml). */
  extra?: Record<string, unknown>;
}

type Config = Record<string, unknown>;

// Top-level keys moved into conf.d/ when the config is split, file by file.
const CONF_D: Record<string, string[]> = {
  '10-listeners.yaml': ['listeners'],
  '20-database.yaml': ['database'],
  '30-passwords.yaml': ['password_config', 'bcrypt_rounds'],
  '40-test-limits.yaml': ['rc_login', 'trusted_key_servers', 'suppress_key_server_warning', 'user_directory', 'background_updates'],
};

export class Homeserver {
  readonly dir: string;
  readonly serverName: string;
  readonly configPath: string;
  readonly confDir: string;
  readonly pidFile: string;
  readonly logFile: string;
  readonly dbName: string;
  readonly sqlitePath: string;
  port = 0;

  private constructor(
    private readonly ctx: E2eContext,
    readonly options: HomeserverOptions,
  ) {
    this.dir = path.join(ctx.runDir, 'hs', options.name);
    this.serverName = `${options.name}.test`;
    this.configPath = path.join(this.dir, 'homeserver.yaml');
    this.confDir = path.join(this.dir, 'conf.d');
    this.pidFile = path.join(this.dir, 'homeserver.pid');
    this.logFile = path.join(this.dir, 'homeserver.log');
    this.dbName = `sab_${options.name.replace(/[^a-z0-9_]/g, '_')}`;
    this.sqlitePath = path.join(this.dir, 'homeserver.db');
  }

  /** Generates the config with Synapse's own --generate-config, then adjusts it for the test. */
  static async create(ctx: E2eContext, options: HomeserverOptions): Promise<Homeserver> {
    const hs = new Homeserver(ctx, options);
    rmSync(hs.dir, { recursive: true, force: true });
    mkdirSync(hs.dir, { recursive: true, mode: 0o755 });
    await hs.synapse([
      'python3', '-m', 'synapse.app.homeserver', '--generate-config',
      '--server-name', hs.serverName, '--config-path', hs.configPath,
      '--data-directory', hs.dir, '--report-stats=no',
    ]);
    hs.port = await freePort();
    if (options.engine === 'postgres') {
      await createDatabase(ctx.pg, hs.dbName, options.pgVia === 'tls' ? ctx.pg.tlsUser : ctx.pg.user);
    }
    hs.writeConfig(YAML.parse(readFileSync(hs.configPath, 'utf8')) as Config);
    hs.fixLogConfig();
    return hs;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The -c arguments a deployment would give Synapse, and that the tool gets too. */
  get configArgs(): string[] {
    return this.options.split ? ['-c', this.configPath, '-c', this.confDir] : ['-c', this.configPath];
  }

  userId(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /** Everything the config says about the database, as the tool must find it. */
  databaseConfig(): Config {
    const { ctx } = this;
    if (this.options.engine === 'sqlite') return { name: 'sqlite3', args: { database: this.sqlitePath } };
    const common = { user: ctx.pg.user, password: ctx.pg.password, port: ctx.pg.port, cp_min: 1, cp_max: 5, ...this.options.pgArgs };
    switch (this.options.pgVia) {
      case 'socket':
        return { name: 'psycopg2', args: { ...common, database: this.dbName, host: ctx.pg.socketDir } };
      case 'tls':
        return {
          name: 'psycopg2',
          args: {
            ...common, user: ctx.pg.tlsUser, password: ctx.pg.tlsPassword, dbname: this.dbName, host: '127.0.0.1',
            sslmode: 'verify-full', sslrootcert: ctx.pg.caFile,
          },
        };
      default:
        return { name: 'psycopg2', args: { ...common, dbname: this.dbName, host: '127.0.0.1' } };
    }
  }

  private writeConfig(generated: Config): void {
    const { options } = this;
    const config: Config = {
      ...generated,
      pid_file: this.pidFile,
      listeners: [
        {
          port: this.port,
          tls: false,
          type: 'http',
          x_forwarded: false,
          bind_addresses: ['127.0.0.1'],
          resources: [{ names: ['client'], compress: false }],
        },
      ],
      database: this.databaseConfig(),
      trusted_key_servers: [],
      suppress_key_server_warning: true,
      rc_login: {
        address: { per_second: 1000, burst_count: 1000 },
        account: { per_second: 1000, burst_count: 1000 },
        failed_attempts: { per_second: 1000, burst_count: 1000 },
      },
      user_directory: { enabled: true, search_all_users: true },
      // A fresh database has ~50 background updates queued; run them flat out (see start()).
      background_updates: { sleep_enabled: false },
      ...options.extra,
    };
    if (options.pepper !== undefined) config.password_config = { enabled: true, pepper: options.pepper };
    if (options.bcryptRounds !== undefined) config.bcrypt_rounds = options.bcryptRounds;

    if (!options.split) {
      writeFileSync(this.configPath, YAML.stringify(config));
      return;
    }
    mkdirSync(this.confDir, { recursive: true });
    for (const [file, keys] of Object.entries(CONF_D)) {
      const part: Config = {};
      for (const key of keys) {
        if (key in config) part[key] = config[key];
        delete config[key];
      }
      if (Object.keys(part).length > 0) writeFileSync(path.join(this.confDir, file), YAML.stringify(part));
    }
    // Not *.yaml: Synapse ignores it, and so must the tool (dpkg leaves such files behind).
    writeFileSync(
      path.join(this.confDir, '20-database.yaml.dpkg-old'),
      YAML.stringify({ database: { name: 'sqlite3', args: { database: '/nonexistent/old.db' } } }),
    );
    writeFileSync(this.configPath, YAML.stringify(config));
  }

  /** --generate-config points the log at the chroot's cwd; keep it with the homeserver. */
  private fixLogConfig(): void {
    const file = path.join(this.dir, `${this.serverName}.log.config`);
    const logConfig = YAML.parse(readFileSync(file, 'utf8')) as { handlers: { file: { filename: string } } };
    logConfig.handlers.file.filename = this.logFile;
    writeFileSync(file, YAML.stringify(logConfig));
  }

  /** Runs argv inside the chroot with this run's directory (homeservers, PG socket) mounted. */
  synapse(argv: string[], check = true) {
    return inChroot(this.ctx.chroot, [this.ctx.runDir], argv, { check });
  }

  get running(): boolean {
    const pid = readPidFile(this.pidFile);
    return pid !== undefined && isAlive(pid);
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`Synapse for ${this.serverName} is already running`);
    rmSync(this.pidFile, { force: true });
    const started = await this.synapse(['python3', '-m', 'synapse.app.homeserver', ...this.configArgs, '--daemonize'], false);
    if (started.code !== 0) {
      throw new Error(`Synapse for ${this.serverName} did not start (exit ${started.code}):\n${started.stderr}\n${this.logTail()}`);
    }
    const daemon = pidFileWatcher(this.pidFile);
    await waitFor(
      async () => {
        if (daemon() === 'died') throw new Error(`Synapse for ${this.serverName} exited during start-up:\n${this.logTail()}`);
        try {
          const response = await fetch(`${this.baseUrl}/health`);
          return (await response.text()) === 'OK' ? true : undefined;
        } catch {
          return undefined;
        }
      },
      90_000,
      () => `Synapse for ${this.serverName} did not answer /health with OK within 90 s:\n${this.logTail()}`,
    );
    await this.waitForBackgroundUpdates();
  }

  /**
   * A new database starts with background updates pending (user directory population, the
   * unique index on profiles.full_user_id, ...); until they finish, Synapse itself misbehaves
   * (its own reactivation fails, directory searches come back empty). Every test wants the
   * settled state of a server that has run for a while.
   */
  private async waitForBackgroundUpdates(): Promise<void> {
    await this.withDb((db) =>
      waitFor(
        async () => (Number((await db('background_updates').count({ n: '*' }))[0]!.n) === 0 ? true : undefined),
        120_000,
        () => `Synapse for ${this.serverName} did not finish its background updates within 120 s:\n${this.logTail()}`,
      ),
    );
  }

  /** A knex handle on this homeserver's database, closed after body. */
  withDb<T>(body: (db: Knex) => Promise<T>): Promise<T> {
    const pgOptions = this.options.pgArgs?.options as string | undefined;
    const db = this.options.engine === 'sqlite' ? openSqlite(this.sqlitePath) : openPg(this.ctx.pg, this.dbName, pgOptions);
    return withKnex(db, body);
  }

  /** Stops Synapse through its pid file and waits until the process has exited. */
  async stop(): Promise<void> {
    const pid = readPidFile(this.pidFile);
    if (pid !== undefined) await terminate(pid);
    rmSync(this.pidFile, { force: true });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Registers a user with Synapse's own register_new_matrix_user (the server must be running). */
  async register(localpart: string, password: string, opts: { admin?: boolean; userType?: string } = {}): Promise<string> {
    await this.synapse([
      'synapse_register_new_matrix_user', '-u', localpart, '-p', password,
      opts.admin ? '--admin' : '--no-admin',
      ...(opts.userType ? ['-t', opts.userType] : []),
      '-c', this.configPath, this.baseUrl,
    ]);
    return this.userId(localpart);
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return `(no log at ${this.logFile})`;
    }
  }

  /** Stops Synapse and drops its database; safe to call twice and after a failed create. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.options.engine === 'postgres') await dropDatabase(this.ctx.pg, this.dbName);
  }
}
