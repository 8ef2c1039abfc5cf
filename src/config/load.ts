// Finding, reading and merging Synapse's config files by Synapse's own rules
// (synapse/config/_base.py: find_config_files, read_config_files), then reading what the tool needs.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Listener, PasswordSettings, SynapseConfig } from './types.js';
import { databaseSettingsFromConfig, databaseSettingsFromUrl } from './database-section.js';
import { ConfigError, ToolError } from '../errors.js';
import { isMapping, pyGet, pyTruthy, readSynapseYaml, type MergedConfig } from './yaml.js';

export interface LoadConfigOptions {
  /** The -c paths (files or directories), in order; empty means look in the usual places. */
  configPaths: string[];
  databaseUrl?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where to look without -c; defaults to defaultConfigLocations(env, cwd). */
  locations?: ConfigLocation[];
}

/** A place a Synapse config is usually found. */
export interface ConfigLocation {
  /** A file or directory; when it exists, this location is the one used. */
  path: string;
  /** A directory read after `path` when it exists, as Debian's unit passes conf.d with a second -c. */
  confDir?: string;
  /** The environment variable that named `path`: then it must exist. */
  envVar?: string;
}

/** Without -c: what the official container, a run from the config's directory, and Debian use. */
export function defaultConfigLocations(env: NodeJS.ProcessEnv, cwd: string): ConfigLocation[] {
  // docker/start.py passes $SYNAPSE_CONFIG_PATH as the one --config-path, so it may be a directory.
  if (env.SYNAPSE_CONFIG_PATH) return [{ path: resolve(cwd, env.SYNAPSE_CONFIG_PATH), envVar: 'SYNAPSE_CONFIG_PATH' }];
  return [
    { path: resolve(cwd, 'homeserver.yaml') },
    { path: '/etc/matrix-synapse/homeserver.yaml', confDir: '/etc/matrix-synapse/conf.d' },
    // start.py's default when SYNAPSE_CONFIG_PATH is unset.
    { path: join(resolve(cwd, env.SYNAPSE_CONFIG_DIR || '/data'), 'homeserver.yaml') },
  ];
}

export async function loadConfig(opts: LoadConfigOptions): Promise<SynapseConfig> {
  const warnings: string[] = [];
  try {
    return await readAndInterpret(opts, warnings);
  } catch (err) {
    // A warning (a skipped .yml file, an empty file) often is the explanation of the failure, and
    // a failed load returns no config to carry it: it goes with the error, in text and --json.
    if (err instanceof ToolError && warnings.length > 0) {
      err.message += warnings.map((w) => `\nNote: ${w}`).join('');
    }
    throw err;
  }
}

async function readAndInterpret(opts: LoadConfigOptions, warnings: string[]): Promise<SynapseConfig> {
  const searchPaths =
    opts.configPaths.length > 0
      ? opts.configPaths.map((p) => resolve(opts.cwd, p))
      : await pickLocation(opts.locations ?? defaultConfigLocations(opts.env, opts.cwd), warnings);
  const files = await findConfigFiles(searchPaths, warnings);
  if (files.length === 0) {
    throw new ConfigError(`No *.yaml files in ${searchPaths.join(', ')}. Pass the homeserver.yaml Synapse uses with -c.`);
  }
  const merged = await readConfigFiles(files, warnings);
  return interpret(merged, files, warnings, opts);
}

async function pathKind(path: string): Promise<'file' | 'dir' | 'other' | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Something we may not look at still exists: reading it will say why it fails.
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : 'other';
  }
}

async function pickLocation(locations: ConfigLocation[], warnings: string[]): Promise<string[]> {
  const found: ConfigLocation[] = [];
  for (const loc of locations) {
    if (await pathKind(loc.path)) found.push(loc);
    else if (loc.envVar) {
      throw new ConfigError(
        `$${loc.envVar} is set to ${loc.path}, which does not exist. Point it at your homeserver.yaml ` +
          '(or the directory of config files), unset it, or pass the config with -c.',
      );
    }
  }
  const [chosen, ...others] = found;
  if (!chosen) {
    throw new ConfigError(
      `No Synapse config found: tried ${locations.map((l) => l.path).join(', ')}. ` +
        'Pass the files Synapse is started with: -c /path/to/homeserver.yaml (repeat -c for more files or directories).',
    );
  }
  if (others.length > 0) {
    warnings.push(
      `Using ${chosen.path}; ${others.map((l) => l.path).join(' and ')} also exist. If your Synapse uses another, pass it with -c.`,
    );
  }
  const paths = [chosen.path];
  if (chosen.confDir && (await pathKind(chosen.confDir)) === 'dir') paths.push(chosen.confDir);
  return paths;
}

/** A directory adds its *.yaml files (not subdirectories) in sorted order; anything else is a file. */
async function findConfigFiles(searchPaths: string[], warnings: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of searchPaths) {
    if ((await pathKind(path)) !== 'dir') {
      files.push(path);
      continue;
    }
    const entries = await readdir(path).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError(`Cannot list the config directory ${path} (${err.code}). Run the tool as a user who may read it (the one Synapse runs as, or root).`);
    });
    const found: string[] = [];
    for (const entry of entries) {
      const entryPath = join(path, entry);
      if ((await pathKind(entryPath)) !== 'file') continue;
      if (entry.endsWith('.yaml')) found.push(entryPath);
      else if (entry.endsWith('.yml')) warnings.push(`${entryPath} is not read: Synapse reads only *.yaml files from a config directory.`);
    }
    files.push(...found.sort());
  }
  return files;
}

/** Later files replace whole top-level keys; an empty or non-mapping file is skipped, as Synapse does. */
async function readConfigFiles(files: string[], warnings: string[]): Promise<MergedConfig> {
  const merged = new Map<string, { value: unknown; file: string }>();
  for (const file of files) {
    const data = await readSynapseYaml(file, 'Check the -c paths: pass the files Synapse is started with.');
    if (!isMapping(data)) {
      warnings.push(`${file} is empty or not a key-value mapping; Synapse skips it, and so does this tool.`);
      continue;
    }
    for (const [key, value] of Object.entries(data)) merged.set(key, { value, file });
  }
  return merged;
}

function interpret(merged: MergedConfig, files: string[], warnings: string[], opts: LoadConfigOptions): SynapseConfig {
  const value = (key: string): unknown => merged.get(key)?.value;
  const valueOr = (key: string, fallback: unknown): unknown => (merged.has(key) ? value(key) : fallback);
  const fileOf = (key: string): string => merged.get(key)?.file ?? files.join(', ');
  const section = (key: string): Record<string, unknown> => {
    const v = value(key) ?? {};
    if (!isMapping(v)) throw new ConfigError(`${key} in ${fileOf(key)} must be a mapping.`);
    return v;
  };

  const serverName = value('server_name');
  if (typeof serverName !== 'string' || serverName === '') {
    throw new ConfigError(
      merged.has('server_name')
        ? `server_name in ${fileOf('server_name')} must be a domain name such as example.org.`
        : `No server_name in ${files.join(', ')}. Synapse needs it too: pass every file Synapse is started with (-c, repeatable).`,
    );
  }
  if (!merged.has('report_stats')) warnings.push('report_stats is not set in the config files read; Synapse refuses to start without it.');

  const db = opts.databaseUrl !== undefined
    ? databaseSettingsFromUrl(opts.databaseUrl, opts.env, opts.cwd)
    : databaseSettingsFromConfig(merged, { env: opts.env, cwd: opts.cwd, files });
  warnings.push(...db.warnings);

  const experimental = section('experimental_features');
  const mas = section('matrix_authentication_service');
  const msc3861 = experimental.msc3861;
  if (pyTruthy(msc3861)) {
    warnings.push(
      `experimental_features.msc3861 (${fileOf('experimental_features')}) was removed in Synapse 1.157, which refuses to start with it; ` +
        'newer Synapse uses matrix_authentication_service.',
    );
  }
  const delegatedAuth = pyTruthy(mas.enabled) || (isMapping(msc3861) && pyTruthy(msc3861.enabled));

  const pidFile = value('pid_file');
  return {
    files,
    warnings,
    serverName,
    database: db.settings,
    databaseSource: db.source,
    password: {
      ...passwordSettings(section('password_config'), pyTruthy(mas.enabled), fileOf),
      // synapse/config/registration.py: config.get("bcrypt_rounds", 12), used as is by bcrypt.gensalt.
      bcryptRounds: valueOr('bcrypt_rounds', 12),
      ...(merged.has('bcrypt_rounds') ? { bcryptRoundsFile: fileOf('bcrypt_rounds') } : {}),
    },
    appServiceConfigFiles: appServiceFiles(valueOr('app_service_config_files', []), fileOf, opts.cwd),
    allowUnderscorePrefixedLocalpart: pyTruthy(value('allow_underscore_prefixed_localpart')),
    serverNoticesLocalpart: serverNoticesLocalpart(value('server_notices'), fileOf),
    userTypes: userTypes(section('user_types'), fileOf('user_types')),
    statsEnabled: pyTruthy(pyGet(section('stats'), 'enabled', true)),
    delegatedAuth,
    ...(typeof pidFile === 'string' && pidFile !== '' ? { pidFile: resolve(opts.cwd, pidFile) } : {}),
    listeners: listeners(valueOr('listeners', []), pyTruthy(value('no_tls')), fileOf('listeners'), opts.cwd, warnings),
  };
}

/** synapse/config/auth.py and registration.py. */
function passwordSettings(
  config: Record<string, unknown>,
  masEnabled: boolean,
  fileOf: (key: string) => string,
): Omit<PasswordSettings, 'bcryptRounds' | 'bcryptRoundsFile'> {
  const pepper = pyGet(config, 'pepper', '');
  if (typeof pepper !== 'string') {
    throw new ConfigError(
      `password_config.pepper in ${fileOf('password_config')} must be a string (quote it); Synapse cannot hash passwords with anything else.`,
    );
  }
  // Off by default only when matrix_authentication_service is enabled.
  const enabled = pyGet(config, 'enabled', !masEnabled);
  const policy = config.policy ?? {};
  if (!isMapping(policy)) throw new ConfigError(`password_config.policy in ${fileOf('password_config')} must be a mapping.`);
  const minimumLength = pyGet(policy, 'minimum_length', 0);
  if (typeof minimumLength !== 'number') {
    throw new ConfigError(`password_config.policy.minimum_length in ${fileOf('password_config')} must be a number.`);
  }
  return {
    loginEnabled: pyTruthy(enabled) && enabled !== 'only_for_reauth',
    localdbEnabled: pyTruthy(pyGet(config, 'localdb_enabled', true)),
    pepper,
    policy: {
      enabled: pyTruthy(policy.enabled),
      minimumLength,
      requireDigit: pyTruthy(policy.require_digit),
      requireSymbol: pyTruthy(policy.require_symbol),
      requireLowercase: pyTruthy(policy.require_lowercase),
      requireUppercase: pyTruthy(policy.require_uppercase),
    },
  };
}

function appServiceFiles(list: unknown, fileOf: (key: string) => string, cwd: string): string[] {
  if (!Array.isArray(list) || !list.every((f) => typeof f === 'string')) {
    throw new ConfigError(`app_service_config_files in ${fileOf('app_service_config_files')} must be a list of file paths.`);
  }
  // Synapse opens them relative to the directory it runs in.
  return list.map((f) => resolve(cwd, f));
}

function serverNoticesLocalpart(config: unknown, fileOf: (key: string) => string): string | undefined {
  if (config === undefined || config === null) return undefined;
  const localpart = isMapping(config) ? config.system_mxid_localpart : undefined;
  if (typeof localpart !== 'string') {
    throw new ConfigError(`server_notices in ${fileOf('server_notices')} needs system_mxid_localpart; Synapse refuses it without one.`);
  }
  return localpart;
}

/**
 * Listeners as synapse/config/server.py parses them. Synapse refuses to start with a broken
 * one; here it only matters for spotting a running server, so it is skipped with a warning.
 */
function listeners(config: unknown, noTls: boolean, file: string, cwd: string, warnings: string[]): Listener[] {
  if (!Array.isArray(config)) {
    warnings.push(`listeners in ${file} is not a list; Synapse refuses that. No listener is checked.`);
    return [];
  }
  const result: Listener[] = [];
  config.forEach((listener: unknown, i) => {
    if (!isMapping(listener) || typeof listener.type !== 'string') {
      warnings.push(`listeners[${i}] in ${file} has no type; Synapse refuses that. It is not checked.`);
      return;
    }
    if (typeof listener.path === 'string' && listener.path !== '') {
      result.push({ path: resolve(cwd, listener.path), http: listener.type === 'http', client: servesClient(listener) });
      return;
    }
    if (listener.port === undefined || listener.port === null) return;
    if (noTls && pyTruthy(listener.tls)) return; // Synapse drops TLS listeners under no_tls
    if (typeof listener.port !== 'number' || !Number.isInteger(listener.port)) {
      warnings.push(`listeners[${i}].port in ${file} is not a number; Synapse refuses that. It is not checked.`);
      return;
    }
    const bindAddresses = Array.isArray(listener.bind_addresses) ? listener.bind_addresses.filter((a) => typeof a === 'string') : [];
    if (typeof listener.bind_address === 'string' && listener.bind_address !== '') bindAddresses.push(listener.bind_address);
    if (bindAddresses.length === 0) bindAddresses.push(...(listener.type === 'metrics' ? ['0.0.0.0'] : ['::', '0.0.0.0']));
    result.push({ port: listener.port, bindAddresses, tls: pyTruthy(listener.tls), http: listener.type === 'http', client: servesClient(listener) });
  });
  return result;
}

/** An http listener whose resources name `client`: app/homeserver.py mounts /_synapse/admin only there. */
function servesClient(listener: Record<string, unknown>): boolean {
  if (listener.type !== 'http' || !Array.isArray(listener.resources)) return false;
  return listener.resources.some((r: unknown) => isMapping(r) && Array.isArray(r.names) && r.names.includes('client'));
}

/** synapse/config/user_types.py: bot and support are built in; extra_user_types adds more. */
function userTypes(config: Record<string, unknown>, file: string): SynapseConfig['userTypes'] {
  const extra = pyGet(config, 'extra_user_types', []);
  const fallback = pyGet(config, 'default_user_type', null);
  if (!Array.isArray(extra) || !extra.every((t) => typeof t === 'string')) {
    throw new ConfigError(`user_types.extra_user_types in ${file} must be a list of names.`);
  }
  const allowed = ['support', 'bot', ...extra];
  if (fallback !== null && (typeof fallback !== 'string' || !allowed.includes(fallback))) {
    throw new ConfigError(`user_types.default_user_type in ${file} must be one of ${allowed.join(', ')}; Synapse refuses it too.`);
  }
  return { default: fallback, allowed };
}
