// Winograd F(2x2, 3x3) transforms for one instruction set (no include guard: compiled once per set by
// winograd.cc through simd_foreach.h). A tile's 16 input pixels and its 16 products are each c (or oc)
// contiguous floats: the transforms run along the channels, W at a time, the last c mod W masked.

/** Bᵀ d B: in[i·4 + j] is patch pixel (i, j) (c floats), u[ξ·c + ch] the result. Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]. */
void wino_input_tile(const float* const* in, float* u, long c) {
  for (long k = 0; k < c; k += W) {
    const int n = static_cast<int>(std::min<long>(W, c - k));
    VF d[16];
    for (int i = 0; i < 16; i++) d[i] = load_part(in[i] + k, n);
    VF t[16];
    for (int j = 0; j < 4; j++) {
      t[0 + j] = d[0 + j] - d[8 + j];
      t[4 + j] = d[4 + j] + d[8 + j];
      t[8 + j] = d[8 + j] - d[4 + j];
      t[12 + j] = d[4 + j] - d[12 + j];
    }
    for (int i = 0; i < 16; i += 4) {
      store_part(t[i + 0] - t[i + 2], u + (i + 0) * c + k, n);
      store_part(t[i + 1] + t[i + 2], u + (i + 1) * c + k, n);
      store_part(t[i + 2] - t[i + 1], u + (i + 2) * c + k, n);
      store_part(t[i + 1] - t[i + 3], u + (i + 3) * c + k, n);
    }
  }
}

/** Aᵀ m A + bias, then ReLU if asked: m[ξ·oc + ch] are the products, out[i·2 + j] receives output (i, j). Aᵀ = [[1,1,1,0],[0,1,-1,-1]]. */
void wino_output_tile(const float* m, long oc, const float* bias, bool relu, float* const* out) {
  const VF zero = VF::zero();
  for (long k = 0; k < oc; k += W) {
    const int n = static_cast<int>(std::min<long>(W, oc - k));
    VF q[16];
    for (int i = 0; i < 16; i++) q[i] = load_part(m + i * oc + k, n);
    VF s[8];
    for (int j = 0; j < 4; j++) {
      s[j] = q[j] + q[4 + j] + q[8 + j];
      s[4 + j] = q[4 + j] - q[8 + j] - q[12 + j];
    }
    const VF b = load_part(bias + k, n);
    VF v[4] = {s[0] + s[1] + s[2] + b, s[1] - s[2] - s[3] + b, s[4] + s[5] + s[6] + b, s[5] - s[6] - s[7] + b};
    for (int i = 0; i < 4; i++) store_part(relu ? select(v[i] > zero, v[i], zero) : v[i], out[i] + k, n);
  }
}

const WinogradKernels kWinograd{wino_input_tile, wino_output_tile};
