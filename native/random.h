// engine/random.ts's generator in C++: xoshiro128** seeded by splitmix32, and deriveSeed. The augmentation
// (augment.cc) and the dropout masks (elementwise.cc) draw exactly what the TypeScript definitions draw.
#pragma once
#include <cstdint>

namespace dn {

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

inline uint32_t mix32(uint32_t x) {
  uint32_t z = x + 0x9e3779b9u;
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

/** engine/random.ts's deriveSeed(seed, i). */
inline uint32_t derive_seed(uint32_t seed, uint32_t i) {
  uint32_t h = 0x6a09e667u;
  h = mix32(h ^ seed);
  return mix32(h ^ i);
}

/** engine/random.ts's Random: xoshiro128**, seeded by splitmix32 (or from a saved state). */
struct Rng {
  uint32_t s0, s1, s2, s3;
  explicit Rng(uint32_t seed) {
    uint32_t x = seed;
    auto next = [&x]() {
      x += 0x9e3779b9u;
      uint32_t z = x;
      z = (z ^ (z >> 16)) * 0x85ebca6bu;
      z = (z ^ (z >> 13)) * 0xc2b2ae35u;
      return z ^ (z >> 16);
    };
    s0 = next();
    s1 = next();
    s2 = next();
    s3 = next();
  }
  Rng(uint32_t a, uint32_t b, uint32_t c, uint32_t d) : s0(a), s1(b), s2(c), s3(d) {}
  uint32_t u32() {
    const uint32_t result = rotl(s1 * 5u, 7) * 9u;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * (u32() / 4294967296.0); }
};

}  // namespace dn
