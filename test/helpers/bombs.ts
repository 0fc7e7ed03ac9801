// Hostile inputs built byte by byte: PNGs whose header declares a huge image or whose data inflates far
// past what the header allows, JPEGs whose frame header lies about their size, IDX files (gzipped or not)
// longer than their header says. Small on disk, costly to anyone who trusts them.

import { crc32, deflateSync, gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid-looking 8-bit grey PNG declaring `width` x `height`, whose pixel data is `dataBytes` zero bytes,
 * deflated (a few hundred bytes for megabytes of data). Interlaced when asked.
 */
export function pngBomb(width: number, height: number, dataBytes: number, interlaced = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grey
  ihdr[12] = interlaced ? 1 : 0;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(dataBytes), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** A real JPEG of 16x16 grey pixels whose start-of-frame header is rewritten to declare `width` x `height`. */
export function jpegDeclaring(width: number, height: number): Buffer {
  const small = Buffer.from(jpeg.encode({ data: Buffer.alloc(16 * 16 * 4, 200), width: 16, height: 16 }, 80).data);
  for (let o = 2; o + 9 < small.length;) {
    const marker = small[o + 1];
    if (marker === 0xc0 || marker === 0xc2) {
      small.writeUInt16BE(height, o + 5);
      small.writeUInt16BE(width, o + 7);
      return small;
    }
    o += 2 + small.readUInt16BE(o + 2);
  }
  throw new Error('no start-of-frame segment in the encoded JPEG');
}

/** An IDX file of unsigned bytes with these dimensions and this much data (which may disagree with them). */
export function idxFile(dims: number[], dataBytes: number): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x00000800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.alloc(dataBytes)]);
}

/** The same, gzipped. */
export function gzippedIdx(dims: number[], dataBytes: number): Buffer {
  return gzipSync(idxFile(dims, dataBytes), { level: 9 });
}
