// IDX files (the original MNIST format): a big-endian header (magic 0x0000 TT NN: type, number of
// dimensions), the dimensions, then the data. Only unsigned bytes (type 0x08) are used by MNIST.
// Browser-safe: works on bytes; reading files lives in mnist.ts.

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** An IDX header: the dimensions, the header's length and the data's length it declares. */
export interface IdxHeader {
  dims: number[];
  headerBytes: number;
  dataBytes: number;
}

/** Reads the header from the first bytes of an IDX file (at least 4 + 4·rank of them); `source` names it in errors. */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader {
  if (bytes.length < 4) throw new Error(`${source}: not an IDX file (only ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic >>> 16 !== 0) throw new Error(`${source}: not an IDX file (magic number 0x${magic.toString(16).padStart(8, '0')}; gzipped files end in .gz)`);
  const type = (magic >>> 8) & 0xff;
  const rank = magic & 0xff;
  if (type !== 0x08) throw new Error(`${source}: IDX element type 0x${type.toString(16)} is not supported (MNIST uses unsigned bytes, 0x08)`);
  if (rank < 1 || rank > 4) throw new Error(`${source}: IDX rank ${rank} is not supported (1 to 4)`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new Error(`${source}: truncated IDX header`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, headerBytes, dataBytes: dims.reduce((a, b) => a * b, 1) };
}

/** Parses an uncompressed IDX file of unsigned bytes; `source` names it in errors. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const { dims, headerBytes, dataBytes } = parseIdxHeader(bytes, source);
  if (bytes.length !== headerBytes + dataBytes) {
    throw new Error(`${source}: IDX dimensions [${dims.join(',')}] need ${dataBytes} bytes of data, the file has ${bytes.length - headerBytes}`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** A labelled image set: pixels 0..255, one byte each, row-major per image (channels interleaved). */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  /** Values per pixel: 1 (gray, the default when absent) or 3 (RGB). */
  channels?: number;
  /** The name of each class, by label, when the data names its classes. */
  classNames?: string[];
}

/** The bytes of one image of the set. */
export function pixelsPer(set: { height: number; width: number; channels?: number }): number {
  return set.height * set.width * (set.channels ?? 1);
}

/** The per-example shape [h, w, c] of the set's images. */
export function shapeOf(set: { height: number; width: number; channels?: number }): [number, number, number] {
  return [set.height, set.width, set.channels ?? 1];
}

/** Pairs an images IDX (n,h,w) with a labels IDX (n), checking that they agree. */
export function idxImageSet(images: IdxArray, labels: IdxArray, names: [string, string], classes = 10): ImageSet {
  if (images.dims.length !== 3) throw new Error(`${names[0]}: expected an image IDX of rank 3 (count, rows, cols), got rank ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new Error(`${names[1]}: expected a label IDX of rank 1, got rank ${labels.dims.length}`);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    throw new Error(`${names[0]} holds ${count} images but ${names[1]} holds ${labels.dims[0]} labels`);
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= classes) throw new Error(`${names[1]}: label ${i} is ${labels.data[i]}, outside 0..${classes - 1}`);
  }
  return { images: images.data, labels: labels.data, count, height, width };
}
