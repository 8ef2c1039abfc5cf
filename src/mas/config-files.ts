// Finding and merging matrix-authentication-service's config files as mas-cli does
// (crates/cli/src/commands/mod.rs `figment()`): `--config` (repeatable), else $MAS_CONFIG split
// on ":", else `config.yaml`; MAS_* environment variables first, each file `admerge`d on top.
// figment 0.10's admerge (src/coalesce.rs): mappings merge key by key, sequences are
// concatenated, anything else is replaced by the later value (a null included).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { ConfigError } from '../errors.js';

/** A value of the merged config, with where it was set (a file and line, or an environment variable). */
export type ConfigNode =
  | { kind: 'map'; entries: Map<string, ConfigNode>; where: string }
  | { kind: 'seq'; items: ConfigNode[]; where: string }
  | { kind: 'scalar'; value: string | number | boolean | null; where: string; fromEnv?: boolean };

export interface ConfigLayer {
  /** A file path, or "the environment" for MAS_* variables. */
  source: string;
  root: ConfigNode;
}

export function admerge(a: ConfigNode, b: ConfigNode): ConfigNode {
  if (a.kind === 'map' && b.kind === 'map') {
    const entries = new Map(a.entries);
    for (const [key, value] of b.entries) {
      const old = entries.get(key);
      entries.set(key, old ? admerge(old, value) : value);
    }
    return { kind: 'map', entries, where: b.where };
  }
  if (a.kind === 'seq' && b.kind === 'seq') return { kind: 'seq', items: [...a.items, ...b.items], where: b.where };
  return b;
}

/**
 * figment's Env provider with prefix MAS_ and split "_": the prefix matched case-insensitively,
 * the rest lowercased, "_" nesting (so keys that contain "_", like ssl_mode, cannot be set this
 * way), names with an empty part skipped. Values stay text; readers accept numbers and booleans
 * written as text from here, as figment's value parser does.
 */
export function environmentLayer(env: NodeJS.ProcessEnv): ConfigLayer | undefined {
  const root: ConfigNode = { kind: 'map', entries: new Map(), where: 'the environment' };
  let any = false;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.trim().toUpperCase().startsWith('MAS_')) continue;
    const path = name.trim().slice(4).trim().toLowerCase().split('_');
    // MAS_CONFIG names the files; it lands on a top-level "config" key that nothing reads.
    if (path.some((p) => p === '') || path.join('_') === 'config') continue;
    let node: ConfigNode = { kind: 'scalar', value: value.trim(), where: `$${name}`, fromEnv: true };
    for (const key of [...path].reverse()) node = { kind: 'map', entries: new Map([[key, node]]), where: `$${name}` };
    Object.assign(root, admerge(root, node));
    any = true;
  }
  return any ? { source: 'the environment', root } : undefined;
}

// A real config uses a handful of anchors; a "billion laughs" file reaches any limit quickly.
const MAX_ALIAS_COUNT = 1000;

/** One YAML file as serde_yaml reads it (YAML 1.2 core schema, unique keys, one document). */
export async function readMasYaml(file: string, origin: string): Promise<ConfigLayer | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `The MAS config ${file} (${origin}) does not exist. mas-cli would silently skip it, but then a part of the config may be missing: fix the path.`
        : `Cannot read the MAS config ${file} (${origin}): ${code}. Run the tool as a user who may read it (the one MAS runs as, or root).`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError(`The MAS config ${file} is not UTF-8 text, so MAS cannot read it either. Save it as UTF-8.`);
  }
  const lines = new LineCounter();
  // Every scalar stays text here; serdeScalar() resolves the plain ones as serde_yaml does.
  const doc = parseDocument(text, { lineCounter: lines, version: '1.2', schema: 'failsafe', uniqueKeys: true, merge: false });
  const problem = doc.errors[0];
  if (problem) {
    const at = problem.linePos?.[0];
    // The yaml package's messages quote the text at fault, which may be a secret: say only where and what kind.
    throw new ConfigError(
      `The MAS config ${file} is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}: ${problem.code.toLowerCase().replace(/_/g, ' ')}. ` +
        'Fix the file; MAS cannot read it either.',
    );
  }
  if (doc.contents === null || (isScalar(doc.contents) && serdeScalar(doc.contents) === null)) return undefined;
  const root = toNode(doc.contents, doc, file, lines, 0);
  if (root.kind !== 'map') {
    throw new ConfigError(`The MAS config ${file} must be a mapping of sections (database, passwords, matrix, ...); MAS refuses it too.`);
  }
  return { source: file, root };
}

function toNode(node: unknown, doc: Document, file: string, lines: LineCounter, aliases: number): ConfigNode {
  const where = (n: YamlNode): string => `${file} line ${lines.linePos(n.range?.[0] ?? 0).line}`;
  if (isAlias(node)) {
    if (aliases > MAX_ALIAS_COUNT) throw new ConfigError(`The MAS config ${file} expands too many aliases (*name); simplify it.`);
    return toNode(node.resolve(doc), doc, file, lines, aliases + 1);
  }
  if (isMap(node)) {
    const entries = new Map<string, ConfigNode>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const value = pair.value;
      entries.set(
        key,
        value === null || value === undefined
          ? { kind: 'scalar', value: null, where: where(pair.key as YamlNode) }
          : toNode(value, doc, file, lines, aliases),
      );
    }
    return { kind: 'map', entries, where: where(node) };
  }
  if (isSeq(node)) return { kind: 'seq', items: node.items.map((i) => toNode(i, doc, file, lines, aliases)), where: where(node) };
  if (isScalar(node)) return { kind: 'scalar', value: serdeScalar(node), where: where(node) };
  return { kind: 'scalar', value: null, where: file };
}

/**
 * serde_yaml 0.9's reading of an untagged plain scalar (de.rs visit_untagged_scalar), which is
 * neither PyYAML's nor the yaml package's core schema: `0123` stays the text "0123" (leading
 * zeros make a string), `0b101`, `-0x1f` and `+7` are numbers, `yes`/`on` are text. Quoted and
 * block scalars, and an explicit !!str, are always text.
 */
function serdeScalar(node: Scalar): string | number | boolean | null {
  const source = String(node.value);
  if (node.type !== 'PLAIN' || node.tag === 'tag:yaml.org,2002:str') return source;
  if (source === '' || /^(?:null|Null|NULL|~)$/.test(source)) return null;
  if (/^(?:true|True|TRUE)$/.test(source)) return true;
  if (/^(?:false|False|FALSE)$/.test(source)) return false;
  const leadingZeros = /^[-+]?0\d+$/.test(source);
  const radix = /^([-+]?)0([xob])([0-9a-fA-F]+)$/.exec(source);
  if (radix) {
    const digits = { x: /^[0-9a-fA-F]+$/, o: /^[0-7]+$/, b: /^[01]+$/ }[radix[2] as 'x' | 'o' | 'b'];
    if (digits.test(radix[3]!)) {
      const n = parseInt(radix[3]!, { x: 16, o: 8, b: 2 }[radix[2] as 'x' | 'o' | 'b']);
      return radix[1] === '-' ? -n : n;
    }
  }
  if (!leadingZeros && /^[-+]?\d+$/.test(source)) return Number(source);
  if (leadingZeros) return source;
  // Rust's f64 parser, finite results only, plus YAML's .inf and .nan.
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(source)) return Number(source);
  if (/^\+?\.(?:inf|Inf|INF)$/.test(source)) return Infinity;
  if (/^-\.(?:inf|Inf|INF)$/.test(source)) return -Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(source)) return NaN;
  return source;
}

/**
 * Where MAS's config usually is when nothing names it, each with its source:
 * - ./config.yaml: mas-cli's own default (resolved by figment against the working directory and,
 *   unlike here, its parents too); docs/setup/general.md.
 * - /config.yaml: the official image runs in WORKDIR / (Dockerfile), and
 *   spantaleev/matrix-docker-ansible-deploy mounts the config there (systemd unit template).
 * - /matrix/matrix-authentication-service/config/config.yaml: that playbook's host copy
 *   (matrix_authentication_service_config_path under matrix_base_data_path /matrix).
 * - /conf/mas-config.yaml: element-hq/ess-helm sets MAS_CONFIG to it in MAS's pods.
 * - /run/matrix-authentication-service/config.yaml: the NixOS module's runtime config (its
 *   extraConfigFiles are systemd credentials this tool cannot see).
 * Debian has no MAS package. The generic names (config.yaml) are used only when the file
 * clearly is a MAS config (looksLikeMasConfig).
 */
export function defaultMasConfigLocations(cwd: string): string[] {
  return [
    resolve(cwd, 'config.yaml'),
    '/config.yaml',
    '/matrix/matrix-authentication-service/config/config.yaml',
    '/conf/mas-config.yaml',
    '/run/matrix-authentication-service/config.yaml',
  ];
}

/** What `mas-cli config generate` always writes, and no other program's config.yaml is likely to have. */
export function looksLikeMasConfig(layer: ConfigLayer): boolean {
  if (layer.root.kind !== 'map') return false;
  const matrix = layer.root.entries.get('matrix');
  const secrets = layer.root.entries.get('secrets');
  return matrix?.kind === 'map' && matrix.entries.has('homeserver') && secrets?.kind === 'map';
}

/** A key of a mapping; an explicit null counts as absent, as serde reads it into an Option. */
export function entry(node: ConfigNode | undefined, key: string): ConfigNode | undefined {
  const value = node?.kind === 'map' ? node.entries.get(key) : undefined;
  return value?.kind === 'scalar' && value.value === null ? undefined : value;
}

/** The messages name the key and where it was set, never its value (it may be a secret). */
function wrongType(key: string, node: ConfigNode, what: string): never {
  throw new ConfigError(`${key} (${node.where}) must be ${what}; MAS refuses anything else too. Fix the MAS config.`);
}

export type ConfigMap = Extract<ConfigNode, { kind: 'map' }>;

export function mapping(node: ConfigNode | undefined, key: string): ConfigMap | undefined {
  if (node === undefined) return undefined;
  if (node.kind !== 'map') wrongType(key, node, 'a mapping');
  return node;
}

export function text(node: ConfigNode | undefined, key: string): string | undefined {
  if (node === undefined) return undefined;
  if (node.kind !== 'scalar' || typeof node.value !== 'string') wrongType(key, node, 'a string (quote a value that looks like a number)');
  return node.value;
}

export function integer(node: ConfigNode | undefined, key: string, min: number, max: number): number | undefined {
  if (node === undefined) return undefined;
  const value = node.kind === 'scalar' && node.fromEnv && /^[-+]?\d+$/.test(String(node.value)) ? Number(node.value) : node.kind === 'scalar' ? node.value : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    wrongType(key, node, `a whole number from ${min} to ${max}`);
  }
  return value;
}

export function boolean(node: ConfigNode | undefined, key: string): boolean | undefined {
  if (node === undefined) return undefined;
  const value = node.kind === 'scalar' && node.fromEnv && /^(true|false)$/i.test(String(node.value)) ? /^true$/i.test(String(node.value)) : node.kind === 'scalar' ? node.value : undefined;
  if (typeof value !== 'boolean') wrongType(key, node, 'true or false');
  return value;
}

/** The file (without the line) a node came from, for messages that name files. */
export function fileOf(node: ConfigNode): string {
  return node.where.replace(/ line \d+$/, '');
}
