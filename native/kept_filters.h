// Prepared forms of a layer's filters (transformed, packed) kept between calls, for calls so small that
// preparing them costs as much as the work itself (the Winograd forward at batch 1: winograd.cc). An entry
// is found by the filters' address and what shapes the prepared form (the key), and used only while the
// filters hold the values it was made from: one compare of the raw filters, so weights changed in place by
// an optimizer step or a load, or freed and their memory reused, never give a stale result. The least
// recently used of kEntries is replaced. Kernels run one call at a time (binding.h's kernel mutex), so
// there is no lock here.
#pragma once
#include <cstdint>
#include <cstring>

#include "common.h"

namespace dn {

/** What a prepared form depends on besides the filters' values. */
struct KeptKey {
  const float* w = nullptr;
  size_t raw = 0;  // the filters' length in floats
  long c = 0, oc = 0;
  const void* made_by = nullptr;  // the transforms (tile size, vector width)
  const void* laid_for = nullptr;  // the micro-kernel whose panels the form is packed for
  bool panels = false;
  bool same(const KeptKey& o) const {
    return w == o.w && raw == o.raw && c == o.c && oc == o.oc && made_by == o.made_by && laid_for == o.laid_for && panels == o.panels;
  }
};

class KeptFilters {
 public:
  static constexpr int kEntries = 128;

  /** The prepared form (`size` floats) for key: kept, or made now by prepare(dst) and kept. */
  template <class Prepare>
  const float* get(const KeptKey& key, size_t size, Prepare prepare) {
    Entry* e = find(key);
    if (e && std::memcmp(e->raw.p, key.w, key.raw * sizeof(float)) == 0) {
      e->used = ++clock_;
      return e->form.p;
    }
    if (!e) e = victim();
    e->key = key;
    e->used = ++clock_;
    std::memcpy(e->raw.get(key.raw), key.w, key.raw * sizeof(float));
    prepare(e->form.get(size));
    return e->form.p;
  }

  void clear() {
    for (Entry& e : entries_) {
      e.key = KeptKey{};
      e.used = 0;
      e.raw.release();
      e.form.release();
    }
  }

 private:
  struct Entry {
    KeptKey key;
    uint64_t used = 0;  // 0: empty
    FBuf raw, form;
  };
  Entry entries_[kEntries];
  uint64_t clock_ = 0;

  Entry* find(const KeptKey& key) {
    for (Entry& e : entries_)
      if (e.used && e.key.same(key)) return &e;
    return nullptr;
  }
  Entry* victim() {
    Entry* v = &entries_[0];
    for (Entry& e : entries_)
      if (e.used < v->used) v = &e;
    return v;
  }
};

}  // namespace dn
