// Linear memory for the kernels: JavaScript lays out each call's arguments from a pointer it passes as
// `scratch`, and a kernel that needs room of its own (packed panels, im2col blocks) takes it from there,
// growing the memory when it must. Nothing is ever freed: the region is reused by the next call.

/** Makes sure bytes [0, end) exist, growing the memory; traps when the browser refuses to grow it. */
export function ensure(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >> 16);
  if (memory.grow(pages) < 0) unreachable();
}

/** Rounds a byte offset up to the next 64-byte boundary (a cache line; v128 needs 16). */
@inline
export function align64(p: usize): usize {
  return (p + 63) & ~(<usize>63);
}

/** dst[0..n) = src[0..n), floats; the regions do not overlap. */
@inline
export function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** dst[0..n) += src[0..n), floats. */
@inline
export function addF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = dst + (<usize>i << 2);
    v128.store(p, f32x4.add(v128.load(p), v128.load(src + (<usize>i << 2))));
  }
  for (; i < n; i++) {
    const p = dst + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>i << 2)));
  }
}

/** dst[0..n) = 0, floats. */
@inline
export function zeroF32(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** Exported for JavaScript: the first byte it may use for arguments. */
export function heapBase(): usize {
  return align64(__heap_base);
}
