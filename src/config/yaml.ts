// Reading YAML the way Synapse does (PyYAML's safe_load), and judging values as Python would.
import { readFile } from 'node:fs/promises';
import { type Tags } from 'yaml';
import { ConfigError } from '../errors.js';
import { keyPathAt, layoutOf, refusedTab } from './yaml-layout.js';
import { decodeYamlBytes, linePosition, parseYaml, yamlProblemMessage } from './yaml-reader.js';

/** Top-level keys after Synapse's shallow merge, each with the file that set it last. */
export type MergedConfig = ReadonlyMap<string, { value: unknown; file: string }>;

// PyYAML resolves plain scalars with its own YAML 1.1 regexes, which differ from the yaml
// package's: `y`/`n` stay strings, `089` and `1e5` stay strings. A password that looks like a
// number must come out as the same value Synapse sees, so the package's tests are swapped for
// PyYAML's (keyed by the package's own test).
const PYYAML_TESTS = new Map<string, RegExp>([
  ['^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$', /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/],
  ['^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$', /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/],
  ['^[-+]?[0-9][0-9_]*$', /^[-+]?(?:0|[1-9][0-9_]*)$/],
  ['^[-+]?(?:[0-9][0-9_]*)?(?:\\.[0-9_]*)?[eE][-+]?[0-9]+$', /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)[eE][-+][0-9]+$/],
  ['^[-+]?(?:[0-9][0-9_]*)?\\.[0-9_]*$', /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/],
  ['^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$', /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/],
]);

function pyyamlTags(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || !('test' in tag) || !tag.test) return tag;
    const py = PYYAML_TESTS.get(tag.test.source);
    return py ? { ...tag, test: py } : tag;
  });
}

// PyYAML shares an anchored value among its aliases and so does the yaml package, but the package
// counts how much aliases would expand to and refuses past this. A real config uses a handful of
// anchors; a "billion laughs" file reaches any limit within a few levels.
const MAX_ALIAS_EXPANSION = 10_000;

/** Parses one YAML document as PyYAML's safe_load would; errors name the file, line and key, never a value. */
export function parseSynapseYaml(text: string, file: string): unknown {
  const { doc, problems } = parseYaml(text, {
    version: '1.1',
    customTags: pyyamlTags,
    uniqueKeys: false, // PyYAML lets a repeated key win
  });
  // The layout is read recursively: not from a file refused for its nesting.
  const layout = problems[0]?.code === 'TOO_DEEP' ? undefined : layoutOf(text);
  const refuse = (index: number, code: string): never => {
    const { line, col } = linePosition(text, index);
    const keys = layout === undefined ? [] : keyPathAt(text, index, layout);
    throw new ConfigError(
      `${file} is not valid YAML: line ${line}, column ${col}${keys.length > 0 ? `, in ${keys.join('.')}` : ''}: ` +
        `${yamlProblemMessage(code, 'Synapse')}. Fix the file there.`,
    );
  };
  const tab = layout === undefined ? undefined : refusedTab(text, layout);
  // A tab first: at the same place the yaml package's own complaint is vaguer. Then the first
  // problem in the file, as PyYAML, which stops at the first, reports it.
  const first = [...(tab === undefined ? [] : [{ index: tab, code: 'TAB' }]), ...problems].sort((a, b) => a.index - b.index)[0];
  if (first) refuse(first.index, first.code);
  try {
    return doc!.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new ConfigError(
      `${file} is refused: its aliases (*name) would expand to more than ${MAX_ALIAS_EXPANSION} copies of their anchors, ` +
        'the pattern of a "billion laughs" attack. A Synapse config needs no such thing: write the values out, or use fewer aliases.',
    );
  }
}

/** Reads and parses a YAML file; `hint` says what to do when it is missing. */
export async function readSynapseYaml(file: string, hint: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ConfigError(unreadableMessage(file, (err as NodeJS.ErrnoException).code, hint));
  }
  const decoded = decodeYamlBytes(bytes);
  if ('problem' in decoded) {
    throw new ConfigError(`${file} is ${decoded.problem.message}. Synapse reads its config as UTF-8 and cannot start with this file: save it as UTF-8.`);
  }
  // Python's text mode reads \r\n and a lone \r as \n before PyYAML sees the text.
  return parseSynapseYaml(decoded.text.replace(/\r\n?/g, '\n'), file);
}

function unreadableMessage(file: string, code: string | undefined, hint: string): string {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `${file} does not exist. ${hint}`;
    case 'EACCES':
    case 'EPERM':
      return `Cannot read ${file}: permission denied. Run the tool as a user who may read it (the one Synapse runs as, or root).`;
    case 'EISDIR':
      return `${file} is a directory, not a YAML file. ${hint}`;
    default:
      return `Cannot read ${file} (${code ?? 'unknown error'}). ${hint}`;
  }
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === '[object Object]';
}

/** Python's dict.get: the default only for a missing key, not for one set to null. */
export function pyGet(mapping: Record<string, unknown>, key: string, fallback: unknown): unknown {
  return Object.hasOwn(mapping, key) ? mapping[key] : fallback;
}

/** Python's truthiness, which is what Synapse's `if config.get(...)` tests. */
export function pyTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isMapping(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}
