// The rules every YAML file the tool reads is held to, config files and apply files alike: the
// bytes must be UTF-8 (a file in another encoding is refused with the line and column of its first
// bad byte, never decoded lossily), no character YAML forbids, nesting within reason, one
// document, no tag the reader cannot construct, no alias without its anchor. Messages are chosen
// by problem code and never quote the file: the text at fault is often a password.
//
// Config files: Synapse opens them in text mode (`open(config_file)`: UTF-8, strict), so a byte
// that is not UTF-8 stops it before YAML is parsed, UTF-16 included; PyYAML's Reader then refuses
// any character outside its printable set, in comments and quoted values too.
import { isUtf8 } from 'node:buffer';
import { Composer, Parser, YAMLParseError, visit, type CST, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

/** PyYAML's reader.Reader.NON_PRINTABLE. */
const NON_PRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

type Decoded = { text: string } | { badByte: number; text: string };

/** Decodes `bytes` as strict UTF-8; on failure, where the first bad byte is and the text before it. */
function decodeUtf8(bytes: Buffer): Decoded {
  // ignoreBOM keeps a leading BOM in the text, as Python does; PyYAML then skips it.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  if (isUtf8(bytes)) return { text };
  // Every character before the first bad byte re-encodes to the same bytes; the decoder's first
  // replacement character that was not in the file marks it.
  let offset = 0;
  let index = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (ch === '\uFFFD' && !bytes.subarray(offset, offset + size).equals(Buffer.from(ch, 'utf8'))) break;
    offset += size;
    index += ch.length;
  }
  return { badByte: offset, text: text.slice(0, index) };
}

/** The encoding a file that is not UTF-8 seems to be in, by its byte order mark or its NUL bytes. */
function encodingGuess(bytes: Buffer): string | undefined {
  const starts = (...b: number[]) => b.every((v, i) => bytes[i] === v);
  if (starts(0xff, 0xfe, 0, 0)) return 'UTF-32 little-endian, by its byte order mark';
  if (starts(0, 0, 0xfe, 0xff)) return 'UTF-32 big-endian, by its byte order mark';
  if (starts(0xff, 0xfe)) return 'UTF-16 little-endian, by its byte order mark';
  if (starts(0xfe, 0xff)) return 'UTF-16 big-endian, by its byte order mark';
  // ASCII text in UTF-16 without a BOM is valid UTF-8 with a NUL beside every character.
  const head = bytes.subarray(0, 64);
  if (head.length >= 4 && head.filter((b) => b === 0).length * 2 >= head.length - 1) return 'UTF-16 or UTF-32 without a byte order mark: its first bytes are every other one NUL';
  return undefined;
}

export interface EncodingProblem {
  line: number;
  col: number;
  /** Offset of the first byte that is not UTF-8 (0 when the whole file is in another encoding). */
  byte: number;
  /** The encoding it seems to be in, when there is a sign of one. */
  guess?: string;
  /** "not valid UTF-8: line L, column C (byte B of the file): it looks like …" */
  message: string;
}

/** The text of a file that must be UTF-8, or where and why it is not. */
export function decodeYamlBytes(bytes: Buffer): { text: string } | { problem: EncodingProblem } {
  const decoded = decodeUtf8(bytes);
  const guess = encodingGuess(bytes);
  if (!('badByte' in decoded) && guess === undefined) return { text: decoded.text };
  const byte = 'badByte' in decoded ? decoded.badByte : 0;
  const { line, col } = 'badByte' in decoded ? linePosition(decoded.text, decoded.text.length) : { line: 1, col: 1 };
  return {
    problem: {
      line,
      col,
      byte,
      ...(guess === undefined ? {} : { guess }),
      message: `not valid UTF-8: line ${line}, column ${col} (byte ${byte} of the file)${guess === undefined ? '' : `: it looks like ${guess}`}`,
    },
  };
}

/** Where in `text` the first character PyYAML refuses is, if any. */
function nonPrintableIndex(text: string): number | undefined {
  const match = NON_PRINTABLE.exec(text);
  return match?.index;
}

/** 1-based line and column of `index` in `text` (lines end at \n, \r\n or \r, as Python reads them). */
export function linePosition(text: string, index: number): { line: number; col: number } {
  const before = text.slice(0, index);
  const breaks = before.match(/\r\n|\r|\n/g) ?? [];
  const lastBreak = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
  return { line: breaks.length + 1, col: index - lastBreak };
}

// Lists and mappings inside each other. A config or an apply file needs a handful of levels; the
// yaml package builds documents recursively and, a few thousand levels down, overflows the stack
// or runs out of memory (a crash, not an error), so deeper files are refused before it sees them.
// PyYAML, also recursive, gives up at Python's recursion limit, well above this.
const MAX_NESTING = 100;

interface CstNode {
  type?: string;
  offset?: number;
  value?: CstNode;
  items?: Array<{ key?: CstNode | null; value?: CstNode | null }>;
}

/** Where the first collection nested deeper than MAX_NESTING starts, if any (walked without recursion). */
function tooDeepIndex(tokens: readonly CST.Token[]): number | undefined {
  const stack: Array<[CstNode, number]> = tokens.map((t) => [t as CstNode, 0]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node.type === 'document') {
      if (node.value) stack.push([node.value, depth]);
      continue;
    }
    if (node.type !== 'block-map' && node.type !== 'block-seq' && node.type !== 'flow-collection') continue;
    if (depth + 1 > MAX_NESTING) return node.offset ?? 0;
    for (const item of node.items ?? []) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return undefined;
}

/** A problem at a place in the text, by code: see yamlProblemMessage. */
export interface YamlProblem {
  index: number;
  code: string;
}

/**
 * Parses `text` as one YAML document and finds every problem the rules above refuse: a forbidden
 * character or too deep a nesting (then the text is not parsed at all), the parser's errors, tags
 * it could not resolve (the yaml package only warns; PyYAML's safe_load refuses them, and so do
 * we), aliases without an anchor. Sorted by place.
 */
export function parseYaml(
  text: string,
  options: ParseOptions & DocumentOptions & SchemaOptions,
): { doc: Document | undefined; problems: YamlProblem[] } {
  const control = nonPrintableIndex(text);
  if (control !== undefined) return { doc: undefined, problems: [{ index: control, code: 'CONTROL' }] };
  // parseDocument's steps, with the depth checked between them: parsing is most of the time a big
  // file takes, and is done once.
  const tokens = [...new Parser(options.lineCounter?.addNewLine).parse(text)];
  const deep = tooDeepIndex(tokens);
  if (deep !== undefined) return { doc: undefined, problems: [{ index: deep, code: 'TOO_DEEP' }] };
  let doc: Document | undefined;
  for (const next of new Composer({ ...options, prettyErrors: false }).compose(tokens, true, text.length)) {
    if (doc !== undefined) {
      doc.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'a second document'));
      break;
    }
    doc = next;
  }
  if (doc === undefined) throw new Error('the yaml package composed no document');
  const problems: YamlProblem[] = [
    ...doc.errors.map((e) => ({ index: e.pos[0], code: e.code })),
    ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED').map((w) => ({ index: w.pos[0], code: w.code })),
  ];
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) problems.push({ index: alias.range?.[0] ?? 0, code: 'UNRESOLVED_ALIAS' });
    },
  });
  return { doc, problems: problems.sort((a, b) => a.index - b.index) };
}

/** What a problem code means, for a file that `reader` (Synapse, apply) reads. */
export function yamlProblemMessage(code: string, reader: string): string {
  switch (code) {
    case 'TAB':
      return 'a tab, which YAML allows only inside quotes, comments and block scalars: use spaces';
    case 'CONTROL':
      return 'a NUL or control character, which YAML allows nowhere, not even in quotes or comments';
    case 'TOO_DEEP':
      return `lists or mappings nested more than ${MAX_NESTING} levels deep, which ${reader} does not read: no such file needs that many`;
    case 'UNRESOLVED_ALIAS':
      return 'an alias (*name) with no anchor (&name) before it: a value that starts with * must be quoted';
    case 'TAG_RESOLVE_FAILED':
      return `a tag (!name) that ${reader} cannot read: a value that starts with ! must be quoted`;
    case 'BAD_SCALAR_START':
      return 'a value that starts with a character YAML reserves (such as @, ` or %): quote it';
    case 'UNEXPECTED_TOKEN':
      return 'unexpected text: a value that starts with |, > or another YAML indicator must be quoted';
    case 'MISSING_CHAR':
      return 'something is missing: a closing quote or bracket, or the ": " after a key';
    case 'BAD_INDENT':
      return 'wrong indentation';
    case 'TAB_AS_INDENT':
      return 'a tab in the indentation: use spaces';
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'a ": " inside a value: quote the value';
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key that runs over more than one line';
    case 'MULTIPLE_DOCS':
      return `a second YAML document starts here (${reader} reads only one): remove what follows the "..." or "---" line that ends the first (keep a final "..." where it is asked for)`;
    case 'BAD_DQ_ESCAPE':
      return 'an unknown \\ escape inside double quotes: use single quotes for text with backslashes';
    case 'DUPLICATE_KEY':
      return 'a key given twice in the same mapping: keep one';
    default:
      return 'invalid YAML: a value with special characters (such as : # * ! & | > [ ] { }) must be quoted';
  }
}
