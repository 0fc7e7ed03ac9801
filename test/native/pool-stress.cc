// Stress for the native thread pool (native/threadpool.cc), built and run by test/threadpool.test.ts.
// Jobs of alternating task counts come back to back, as kernels do in a training step, while one more thread
// competes for the cores (as the augmentation thread does): every task must run exactly once, and
// parallel_for must not return while one of its tasks still runs (the task's state lives on the caller's
// stack). Prints the counts of both failures; exits 1 if either is not zero.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "threadpool.h"

int main(int argc, char** argv) {
  const long jobs = argc > 1 ? std::atol(argv[1]) : 2000000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  dn::pool_set_threads(threads);
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    volatile double x = 0;
    while (!stop.load()) for (int i = 0; i < 100000; i++) x = x + i;
  });
  long wrong = 0, late = 0;
  for (long j = 0; j < jobs; j++) {
    const int n = (j & 1) ? 2 : 7;
    std::vector<std::atomic<int>> runs(n);
    for (auto& r : runs) r.store(0);
    std::atomic<int> active{0};
    dn::parallel_for(n, [&](int t, int) {
      active++;
      runs[t]++;
      for (volatile int k = 0; k < 50; k = k + 1) {}
      active--;
    });
    if (active.load() != 0) late++;
    for (int t = 0; t < n; t++) wrong += runs[t].load() != 1;
  }
  stop = true;
  busy.join();
  std::printf("jobs %ld, threads %d: tasks not run exactly once %ld, returns with a task still running %ld\n", jobs, threads, wrong, late);
  return wrong || late ? 1 : 0;
}
