// A minimal Protocol Buffers writer: the four wire types an ONNX file uses (varint, 64-bit, length-delimited,
// 32-bit), enough to encode onnx.proto's messages without a protobuf library. Write-only, browser-safe.
// Each message is built bottom-up: a child message is encoded first and embedded as bytes.

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Accumulates one message's bytes, field by field. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private tag(field: number, wire: number): void {
    this.push(varint(BigInt(field * 8 + wire)));
  }

  /** int32, int64, enum, bool: a varint (negative numbers as 10-byte two's complement, as protobuf does). */
  int(field: number, v: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(varint(BigInt.asUintN(64, BigInt(v))));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(varint(BigInt(v.length)));
    this.push(v);
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, new TextEncoder().encode(v));
  }

  /** An embedded message, encoded already. */
  message(field: number, m: Uint8Array): this {
    return this.bytes(field, m);
  }

  /** A packed repeated int64 field (one length-delimited run of varints). */
  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const w = new ProtoWriter();
    for (const v of vs) w.push(varint(BigInt.asUintN(64, BigInt(v))));
    return this.bytes(field, w.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Base-128 varint of an unsigned 64-bit value. */
export function varint(v: bigint): Uint8Array {
  const out: number[] = [];
  let x = v;
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return Uint8Array.from(out);
}
