// What the yaml package's syntax tree tells about a config file's layout: where PyYAML refuses a
// tab that the yaml package accepts, and which key a line belongs to, for error messages that
// must name the key but never quote the value.
import { CST, Parser } from 'yaml';

type Range = readonly [start: number, end: number];

export interface Layout {
  /** Where PyYAML takes a tab as text: comments, quoted scalars, block scalar content. */
  tabsAllowed: Range[];
  /** Every scalar: a line that starts inside one continues a value and holds no key. */
  scalars: Range[];
}

export function layoutOf(text: string): Layout {
  const layout: Layout = { tabsAllowed: [], scalars: [] };
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const token = node as { type?: string; offset?: unknown; source?: unknown };
    if (typeof token.offset === 'number' && typeof token.source === 'string') {
      const start = token.offset;
      const end = start + token.source.length;
      switch (token.type) {
        case 'comment':
          layout.tabsAllowed.push([start, end]);
          break;
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
          layout.tabsAllowed.push([start, end]);
          layout.scalars.push([start, end]);
          break;
        case 'scalar':
          layout.scalars.push([start, end]);
          break;
        case 'block-scalar': {
          // The header line (indicators, then maybe a comment) is scanned like any other line.
          const scalar = node as CST.BlockScalar;
          const contentEnd = start + CST.stringify(scalar).length;
          layout.tabsAllowed.push(...blockContentRanges(scalar, contentEnd - token.source.length));
          layout.scalars.push([start, contentEnd]);
          break;
        }
      }
    }
    for (const value of Object.values(node)) visit(value);
  };
  for (const token of new Parser().parse(text)) visit(token);
  return layout;
}

/**
 * A block scalar's lines from its content indentation on, which PyYAML (scanner.py,
 * scan_block_scalar) finds as the indentation indicator says, or else as the deepest run of
 * leading spaces up to the first line with text, but at least one more than the parent's.
 */
function blockContentRanges(scalar: CST.BlockScalar, contentStart: number): Range[] {
  const header = scalar.props.find((p): p is CST.SourceToken => p.type === 'block-scalar-header')?.source ?? '';
  const explicit = /[1-9]/.exec(header);
  const lines = scalar.source.split('\n');
  let indent = scalar.indent + 1;
  if (explicit) indent = scalar.indent + Number(explicit[0]);
  else {
    for (const line of lines) {
      const spaces = /^ */.exec(line)![0].length;
      indent = Math.max(indent, spaces);
      if (spaces < line.length) break;
    }
  }
  const ranges: Range[] = [];
  let lineStart = contentStart;
  for (const line of lines) {
    if (line.length > indent) ranges.push([lineStart + indent, lineStart + line.length]);
    lineStart += line.length + 1;
  }
  return ranges;
}

const within = (index: number, ranges: Range[], inclusiveStart: boolean): boolean =>
  ranges.some(([start, end]) => (inclusiveStart ? index >= start : index > start) && index < end);

/**
 * The first tab PyYAML refuses. Its scanner skips only spaces between tokens and ends a plain
 * scalar at a tab, so a tab is text only inside comments, quotes and block scalar content: after
 * `key:`, at the end of a line, in indentation or inside an unquoted value it is an error.
 */
export function refusedTab(text: string, layout: Layout): number | undefined {
  for (let i = text.indexOf('\t'); i !== -1; i = text.indexOf('\t', i + 1)) {
    if (!within(i, layout.tabsAllowed, true)) return i;
  }
  return undefined;
}

// A line that starts with a simple key: indentation, maybe `- ` items, the key, a colon.
const KEY_LINE = /^( *(?:- +)*)([A-Za-z0-9_][\w.-]*|"[\w.-]+"|'[\w.-]+') *:(?=[ \t]|$)(.*)$/;
// What may follow a key that opens a nested block: nothing, an anchor, a tag, a comment.
const OPENS_BLOCK = /^[ \t]*(?:(?:&\S+|!\S*)[ \t]*)*(?:#.*)?$/;
const BLANK = /^[ \t]*(?:#.*)?$/;

interface ContentLine {
  indent: number;
  key?: string;
  /** `key:` with nothing after it but an anchor, a tag or a comment: its value is the block below. */
  opensBlock: boolean;
}

/** The lines up to the one holding `index` that hold YAML structure: not blank, not inside a scalar. */
function contentLines(text: string, index: number, layout: Layout): ContentLine[] {
  const lines: ContentLine[] = [];
  let start = 0;
  while (start <= index) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? undefined : end);
    if (!BLANK.test(line) && !within(start, layout.scalars, false)) {
      const key = KEY_LINE.exec(line);
      lines.push({
        indent: /^ *(?:- +)*/.exec(line)![0].length,
        ...(key ? { key: key[2]!.replace(/^["']|["']$/g, '') } : {}),
        opensBlock: key !== null && OPENS_BLOCK.test(key[3]!),
      });
    }
    if (end === -1) break;
    start = end + 1;
  }
  return lines;
}

/**
 * The keys leading to the line holding `index`, found by indentation (`database.args.password`).
 * Only a key whose block holds the line counts: a key with its value on its own line (`key: |`,
 * `key: "...`, `key: {`, a plain value that runs on) owns everything below it, and a line out of
 * step with its block's indentation belongs to the value above. So a key named here is always
 * text in key position, never part of a value.
 */
export function keyPathAt(text: string, index: number, layout: Layout): string[] {
  const lines = contentLines(text, index, layout);
  const path: string[] = [];
  let child = lines.length - 1;
  if (child < 0) return path;
  if (lines[child]!.key !== undefined) path.push(lines[child]!.key!);
  for (let n = child - 1; n >= -1; n--) {
    const parent = lines[n];
    if (parent && parent.indent >= lines[child]!.indent) continue;
    // The document itself is the parent of the top-level block.
    const aligned = lines[n + 1]!.indent === lines[child]!.indent;
    if (!aligned || (parent && !parent.opensBlock)) path.length = 0;
    if (!parent) break;
    if (parent.key !== undefined) path.unshift(parent.key);
    child = n;
  }
  return path;
}
