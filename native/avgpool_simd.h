// Average pooling bodies for one instruction set (no include guard: compiled once per set by avgpool.cc
// through simd_foreach.h). NHWC: the channels of one pixel are contiguous, W at a time, the last c mod W
// masked. Windows are clipped to the input and divide by the cells inside it (TensorFlow's 'same').

/** Output rows t in [t0, t1), t = b·oh + oy: each output cell the mean of its window, summed in (iy, ix) order. */
void avg_forward_rows(const float* x, float* y, const Geo& g, long t0, long t1) {
  const long c = g.c;
  for (long t = t0; t < t1; t++) {
    const long b = t / g.oh, oy = t % g.oh;
    const long y0 = std::max(oy * g.sh - g.pt, 0L), y1 = std::min(oy * g.sh - g.pt + g.kh, g.h);
    const float* xb = x + b * g.h * g.w * c;
    for (long ox = 0; ox < g.ow; ox++) {
      const long x0 = std::max(ox * g.sw - g.pl, 0L), x1 = std::min(ox * g.sw - g.pl + g.kw, g.w);
      const VF count = VF::set1(static_cast<float>((y1 - y0) * (x1 - x0)));
      float* yo = y + (t * g.ow + ox) * c;
      for (long j = 0; j < c; j += W) {
        const int n = static_cast<int>(std::min<long>(W, c - j));
        VF s = VF::zero();
        for (long iy = y0; iy < y1; iy++)
          for (long ix = x0; ix < x1; ix++) s = s + load_part(xb + (iy * g.w + ix) * c + j, n);
        store_part(s / count, yo + j, n);
      }
    }
  }
}

/**
 * Image b, gathered: each dx cell is the sum of dy/count over the windows that hold it, taken in output
 * order (oy, then ox) as the reference scatters them, and written once (no zeroing, no read-modify-write).
 * The shares dy/count are computed once per output cell, into a per-thread buffer.
 */
void avg_backward_image(const float* dy, float* dx, const Geo& g, long b) {
  const long c = g.c;
  thread_local std::vector<float> buf;
  if (buf.size() < static_cast<size_t>(g.oh * g.ow * c)) buf.resize(static_cast<size_t>(g.oh * g.ow * c));
  float* share = buf.data();
  const float* d = dy + b * g.oh * g.ow * c;
  for (long oy = 0; oy < g.oh; oy++) {
    const long y0 = std::max(oy * g.sh - g.pt, 0L), y1 = std::min(oy * g.sh - g.pt + g.kh, g.h);
    for (long ox = 0; ox < g.ow; ox++) {
      const long x0 = std::max(ox * g.sw - g.pl, 0L), x1 = std::min(ox * g.sw - g.pl + g.kw, g.w);
      const VF count = VF::set1(static_cast<float>((y1 - y0) * (x1 - x0)));
      const long o = (oy * g.ow + ox) * c;
      for (long j = 0; j < c; j += W) {
        const int n = static_cast<int>(std::min<long>(W, c - j));
        store_part(load_part(d + o + j, n) / count, share + o + j, n);
      }
    }
  }
  // Output cells whose window holds input row iy: oy·sh − pt ≤ iy < oy·sh − pt + kh, i.e. [lo[iy], hi[iy]).
  thread_local std::vector<long> range;
  range.resize(static_cast<size_t>(2 * (g.h + g.w)));
  long *ylo = range.data(), *yhi = ylo + g.h, *xlo = yhi + g.h, *xhi = xlo + g.w;
  auto bounds = [](long size, long pad, long k, long s, long out, long* lo, long* hi) {
    for (long i = 0; i < size; i++) {
      lo[i] = i + pad - k + 1 <= 0 ? 0 : (i + pad - k + s) / s;
      hi[i] = std::min(out, (i + pad) / s + 1);
    }
  };
  bounds(g.h, g.pt, g.kh, g.sh, g.oh, ylo, yhi);
  bounds(g.w, g.pl, g.kw, g.sw, g.ow, xlo, xhi);
  float* db = dx + b * g.h * g.w * c;
  for (long iy = 0; iy < g.h; iy++)
    for (long ix = 0; ix < g.w; ix++) {
      float* p = db + (iy * g.w + ix) * c;
      for (long j = 0; j < c; j += W) {
        const int n = static_cast<int>(std::min<long>(W, c - j));
        VF s = VF::zero();
        for (long oy = ylo[iy]; oy < yhi[iy]; oy++)
          for (long ox = xlo[ix]; ox < xhi[ix]; ox++) s = s + load_part(share + (oy * g.ow + ox) * c + j, n);
        store_part(s, p + j, n);
      }
    }
}

/** Images [b0, b1) of x (n, hw, c): y = the mean over the hw positions, summed in float64 (two accumulators). */
void gap_forward(const float* x, float* y, long hw, long c, long b0, long b1) {
  const VD count = VD::set1(static_cast<double>(hw));
  for (long b = b0; b < b1; b++) {
    const float* xb = x + b * hw * c;
    for (long j = 0; j < c; j += W) {
      const int n = static_cast<int>(std::min<long>(W, c - j));
      VD s0 = VD::zero(), s1 = VD::zero();
      long p = 0;
      for (; p + 2 <= hw; p += 2) {
        s0 = s0 + VD::from(load_part(xb + p * c + j, n));
        s1 = s1 + VD::from(load_part(xb + (p + 1) * c + j, n));
      }
      if (p < hw) s0 = s0 + VD::from(load_part(xb + p * c + j, n));
      store_part(((s0 + s1) / count).to_float(), y + b * c + j, n);
    }
  }
}

/** Images [b0, b1): dx = dy / hw at every position (the first position computed, the others copied). */
void gap_backward(const float* dy, float* dx, long hw, long c, long b0, long b1) {
  const VD count = VD::set1(static_cast<double>(hw));
  for (long b = b0; b < b1; b++) {
    float* first = dx + b * hw * c;
    for (long j = 0; j < c; j += W) {
      const int n = static_cast<int>(std::min<long>(W, c - j));
      store_part((VD::from(load_part(dy + b * c + j, n)) / count).to_float(), first + j, n);
    }
    for (long p = 1; p < hw; p++) std::memcpy(first + p * c, first, static_cast<size_t>(c) * sizeof(float));
  }
}

const PoolKernels kAvgPool{avg_forward_rows, avg_backward_image, gap_forward, gap_backward};
