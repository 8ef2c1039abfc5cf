// The text Synapse's YAML parser gets from a config file, and the characters it refuses there.
// Synapse opens config files in text mode (`open(config_file)`: UTF-8, strict), so a byte that is
// not UTF-8 stops it before YAML is parsed, UTF-16 included; PyYAML's Reader then refuses any
// character outside its printable set, in comments and quoted values too.
import { isUtf8 } from 'node:buffer';

/** PyYAML's reader.Reader.NON_PRINTABLE. */
const NON_PRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export type Decoded = { text: string } | { badByte: number; text: string };

/** Decodes `bytes` as strict UTF-8; on failure, where the first bad byte is and the text before it. */
export function decodeUtf8(bytes: Buffer): Decoded {
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

/** Where in `text` the first character PyYAML refuses is, if any. */
export function nonPrintableIndex(text: string): number | undefined {
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
