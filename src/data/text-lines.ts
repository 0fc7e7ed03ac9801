// Lines of a text file, read with bounded memory: the bytes are decoded as UTF-8 as they stream in (a file
// in another encoding is refused, with the encoding named when its first bytes tell it), split on '\n'
// (a '\r' before it dropped), and a line longer than `maxLine` characters is an error, found before the
// line is held whole. Also the CSV field splitter, with RFC 4180 quoting within a line. Node-only.

import { createReadStream } from 'node:fs';

export class TextFileError extends Error {}

/** What the first bytes say about a file that is not UTF-8, or null. */
export function sniffEncoding(head: Uint8Array): string | null {
  const b = (i: number): number => head[i] ?? -1;
  if (b(0) === 0x00 && b(1) === 0x00 && b(2) === 0xfe && b(3) === 0xff) return 'UTF-32 (big-endian)';
  if (b(0) === 0xff && b(1) === 0xfe && b(2) === 0x00 && b(3) === 0x00) return 'UTF-32 (little-endian)';
  if (b(0) === 0xff && b(1) === 0xfe) return 'UTF-16 (little-endian)';
  if (b(0) === 0xfe && b(1) === 0xff) return 'UTF-16 (big-endian)';
  const n = Math.min(head.length, 512);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (head[i] === 0) zeros++;
  if (zeros > 0) {
    // UTF-16 text of ASCII characters has every other byte zero; anything else with zeros is binary data.
    let even = 0;
    let odd = 0;
    for (let i = 0; i < n; i++) if (head[i] === 0) (i % 2 ? odd++ : even++);
    if (odd >= n / 2 - 2 && even === 0) return 'UTF-16 (little-endian, no byte-order mark)';
    if (even >= n / 2 - 2 && odd === 0) return 'UTF-16 (big-endian, no byte-order mark)';
    return 'binary data, not text';
  }
  return null;
}

/**
 * Calls `onLine(text, lineNo)` for each line of the file open at `fd`; stops early when it returns false.
 * `path` names the file in errors.
 */
export async function forEachLine(fd: number, path: string, maxLine: number, onLine: (text: string, lineNo: number) => boolean): Promise<void> {
  const stream = createReadStream('', { fd, highWaterMark: 1 << 20 });
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let carry = '';
  let lineNo = 0;
  let offset = 0;
  let first = true;
  const tooLong = (): never => {
    throw new TextFileError(`${path}:${lineNo + 1}: the line is longer than ${maxLine.toLocaleString('en-US')} characters; a row of MNIST pixels is far shorter (is this a CSV file of one image per line?)`);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (first) {
        const enc = sniffEncoding(chunk);
        if (enc) throw new TextFileError(`${path}: the file is ${enc}; save it as UTF-8 (or plain ASCII) text`);
        first = false;
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new TextFileError(`${path}: not UTF-8 text (an invalid byte sequence within bytes ${offset}..${offset + chunk.length}); perhaps Latin-1 or Windows-1252: save it as UTF-8`);
      }
      offset += chunk.length;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const piece = text.slice(start, nl);
        if (carry.length + piece.length > maxLine + 1) tooLong();
        const line = carry ? carry + piece : piece;
        carry = '';
        start = nl + 1;
        if (!onLine(line.endsWith('\r') ? line.slice(0, -1) : line, ++lineNo)) return;
      }
      carry += text.slice(start);
      if (carry.length > maxLine + 1) tooLong();
    }
  } finally {
    stream.destroy();
  }
  try {
    carry += decoder.decode();
  } catch {
    throw new TextFileError(`${path}: not UTF-8 text (the file ends inside a multi-byte character); save it as UTF-8`);
  }
  if (carry !== '') onLine(carry.endsWith('\r') ? carry.slice(0, -1) : carry, ++lineNo);
}

/**
 * The fields of one CSV line that holds a '"': quoted fields may hold commas and doubled quotes (RFC 4180);
 * returns null when a quote is left open (a quoted field may not span lines here).
 */
export function splitQuoted(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return null;
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = line.indexOf(',', i);
      const rest = line.slice(i, comma === -1 ? line.length : comma);
      if (rest.trim() !== '') field += rest; // text after the closing quote is kept, so the value is refused as written
      i = comma === -1 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      field = line.slice(i, comma === -1 ? line.length : comma);
      i = comma === -1 ? line.length + 1 : comma + 1;
    }
    fields.push(field);
    if (i > line.length) return fields;
  }
}
