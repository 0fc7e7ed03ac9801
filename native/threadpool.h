// A persistent thread pool: the calling (JS) thread plus workers, tasks handed out by an atomic counter.
#pragma once
#include <utility>

namespace dn {

/** Sets the pool size (1 = no worker threads); n <= 0 picks the available cores. */
void pool_set_threads(int n);
int pool_threads();
/** Cores this process may run on (affinity mask), at least 1. */
int available_cores();

void parallel_for_raw(int ntasks, void (*fn)(void*, int task, int tid), void* ctx);

/** Runs f(task, tid) for task in [0, ntasks) across the pool; returns when all are done. */
template <class F>
void parallel_for(int ntasks, F&& f) {
  if (ntasks <= 0) return;
  if (ntasks == 1 || pool_threads() == 1) {
    for (int i = 0; i < ntasks; i++) f(i, 0);
    return;
  }
  using Fn = typename std::remove_reference<F>::type;
  parallel_for_raw(ntasks, [](void* c, int t, int tid) { (*static_cast<Fn*>(c))(t, tid); }, static_cast<void*>(&f));
}

}  // namespace dn
