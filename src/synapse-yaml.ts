// Reading YAML the way Synapse does (PyYAML's safe_load), and judging values as Python would.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Tags } from 'yaml';
import { ConfigError } from './errors.js';
import { decodeUtf8, linePosition, nonPrintableIndex } from './yaml-reader.js';

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

/** Parses one YAML document as PyYAML's safe_load would; errors name the file and line. */
export function parseSynapseYaml(text: string, file: string): unknown {
  const bad = nonPrintableIndex(text);
  if (bad !== undefined) {
    const { line, col } = linePosition(text, bad);
    throw new ConfigError(
      `${file} is not valid YAML: line ${line}, column ${col}: a NUL or control character, which YAML does not allow ` +
        '(not even in quotes or comments), so Synapse cannot start with this file. Remove it; write it as an escape such as "\\t" inside double quotes if a value needs it.',
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    customTags: pyyamlTags,
    uniqueKeys: false, // PyYAML lets a repeated key win
    prettyErrors: false, // a pretty error quotes the source, which may hold a password
    lineCounter,
  });
  // PyYAML's safe_load refuses tags it has no constructor for; the yaml package only warns.
  const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  if (problems.length > 0) {
    const { code, message, pos } = problems[0]!;
    const { line, col } = lineCounter.linePos(pos[0]);
    const what = code === 'MULTIPLE_DOCS' ? 'a second YAML document starts here (Synapse reads only one)' : message;
    throw new ConfigError(`${file} is not valid YAML: line ${line}, column ${col}: ${what}. Fix the file there.`);
  }
  return doc.toJS();
}

/** Reads and parses a YAML file; `hint` says what to do when it is missing. */
export async function readSynapseYaml(file: string, hint: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ConfigError(unreadableMessage(file, (err as NodeJS.ErrnoException).code, hint));
  }
  const decoded = decodeUtf8(bytes);
  if ('badByte' in decoded) {
    const { line, col } = linePosition(decoded.text, decoded.text.length);
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    throw new ConfigError(
      `${file} is not valid UTF-8: line ${line}, column ${col} (byte ${decoded.badByte} of the file)` +
        `${utf16 ? ' (it looks like UTF-16)' : ''}. Synapse reads its config as UTF-8 and cannot start with this file: save it as UTF-8.`,
    );
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
