// The geometry of the next convolution or pooling call, set once per call by JavaScript (the fields of
// src/engine/geometry.ts's ConvGeometry), read by conv.ts and pool.ts.

export let N = 0, H = 0, W = 0, C = 0, KH = 0, KW = 0, SH = 0, SW = 0, PT = 0, PL = 0, OH = 0, OW = 0, OC = 0;

export function setGeometry(n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, oh: i32, ow: i32, oc: i32): void {
  N = n; H = h; W = w; C = c; KH = kh; KW = kw; SH = sh; SW = sw; PT = pt; PL = pl; OH = oh; OW = ow; OC = oc;
}
