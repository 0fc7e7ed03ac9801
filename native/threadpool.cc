// Persistent pool. Workers spin briefly after each job (kernels come back to back during a training step),
// then sleep on a condition variable so that an idle process costs nothing. The caller, once its share is
// done, spins only briefly for the workers' claimed tasks and then sleeps until the last one ends: on a
// machine busy with other work, a worker descheduled mid-task would otherwise cost the caller its time
// slice as well (two threads then trained at half the speed of one).
#include "threadpool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#ifdef __linux__
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DN_PAUSE() _mm_pause()
#else
#define DN_PAUSE() std::this_thread::yield()
#endif

#include "common.h"

namespace dn {
namespace {

// Jobs: `next` packs (generation << 32 | next task index). A worker claims a task with a CAS that also
// checks the generation, so a worker that wakes late can never run a task of a finished or newer job, and
// the caller never waits for a worker that has not started: it runs unclaimed tasks itself and waits only
// for claimed ones to finish (`done`).
struct Pool {
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint64_t> next{0};
  std::atomic<int> done{0};
  std::atomic<bool> stop{false};
  std::atomic<int> ntasks{0};
  std::atomic<void (*)(void*, int, int)> fn{nullptr};
  std::atomic<void*> ctx{nullptr};
  int nthreads = 1;
  // The caller sleeps here when a claimed task outlasts its short spin (see parallel_for_raw).
  std::mutex done_mu;
  std::condition_variable done_cv;
  std::atomic<bool> caller_waiting{false};
};

// Never destroyed: at process exit workers may still sleep on its condition variable.
Pool& pool = *new Pool;
constexpr auto kSpin = std::chrono::microseconds(200);
// The task index of a generation that is being set up: above any task count, so nothing can be claimed.
constexpr uint64_t kClosed = 0x7fffffff;
constexpr auto kWaitSpin = std::chrono::microseconds(50);

/** Claims and runs tasks of generation `gen` until none is left. */
void run_tasks(uint32_t gen, int tid) {
  for (;;) {
    uint64_t v = pool.next.load(std::memory_order_acquire);
    if (static_cast<uint32_t>(v >> 32) != gen) return;
    // Acquire: having seen a job's fields, this thread also sees the close that preceded them (see
    // parallel_for_raw), so the claim below fails unless `next` still holds this job's generation.
    auto fn = pool.fn.load(std::memory_order_acquire);
    void* ctx = pool.ctx.load(std::memory_order_acquire);
    const int n = pool.ntasks.load(std::memory_order_acquire);
    const int i = static_cast<int>(v & 0xffffffffu);
    if (i >= n) return;
    if (!pool.next.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
    fn(ctx, i, tid);
    // The last task of the job wakes the caller if it went to sleep (both sides use sequentially consistent
    // operations: either the caller sees this count or this thread sees that it waits).
    if (pool.done.fetch_add(1) + 1 == n && pool.caller_waiting.load()) {
      std::lock_guard<std::mutex> lk(pool.done_mu);
      pool.done_cv.notify_one();
    }
  }
}

bool has_work(uint32_t seen) {
  const uint64_t v = pool.next.load(std::memory_order_acquire);
  return static_cast<uint32_t>(v >> 32) != seen && static_cast<int>(v & 0xffffffffu) < pool.ntasks.load(std::memory_order_relaxed);
}

void worker_main(int tid) {
  uint32_t seen = static_cast<uint32_t>(pool.next.load() >> 32);
  for (;;) {
    auto start = std::chrono::steady_clock::now();
    int spins = 0;
    while (!has_work(seen) && !pool.stop.load(std::memory_order_relaxed)) {
      DN_PAUSE();
      if ((++spins & 63) == 0 && std::chrono::steady_clock::now() - start > kSpin) {
        std::unique_lock<std::mutex> lk(pool.mu);
        pool.cv.wait(lk, [&] { return has_work(seen) || pool.stop.load(); });
      }
    }
    if (pool.stop.load()) return;
    const uint64_t v = pool.next.load(std::memory_order_acquire);
    // A job ended and the next is being set up since has_work: wait for it rather than mark it seen.
    if ((v & 0xffffffffu) == kClosed) continue;
    const uint32_t gen = static_cast<uint32_t>(v >> 32);
    seen = gen;
    run_tasks(gen, tid);
  }
}

void stop_workers() {
  {
    std::lock_guard<std::mutex> lk(pool.mu);
    pool.stop.store(true);
  }
  pool.cv.notify_all();
  for (auto& t : pool.workers) t.join();
  pool.workers.clear();
  pool.stop.store(false);
}

}  // namespace

int available_cores() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

void pool_set_threads(int n) {
  if (n <= 0) n = available_cores();
  if (n > kMaxThreads) n = kMaxThreads;
  if (n == pool.nthreads && static_cast<int>(pool.workers.size()) == n - 1) return;
  stop_workers();
  pool.nthreads = n;
  for (int t = 1; t < n; t++) pool.workers.emplace_back(worker_main, t);
}

int pool_threads() { return pool.nthreads; }

void parallel_for_raw(int ntasks, void (*fn)(void*, int, int), void* ctx) {
  // Close the finished job before its fields change. A worker may still be looping in run_tasks over it,
  // holding the old (generation, index) it read: were the new task count visible while `next` still held
  // that pair, its claim would succeed and it would run a task of the new job before it is published (that
  // task then runs twice, and the job's count of finished tasks overshoots, so the caller could return while
  // one is still running on its stack). After the close, that claim fails and the worker goes back to wait.
  const uint32_t gen = static_cast<uint32_t>(pool.next.load(std::memory_order_relaxed) >> 32) + 1;
  pool.next.store(static_cast<uint64_t>(gen) << 32 | kClosed, std::memory_order_seq_cst);
  pool.fn.store(fn, std::memory_order_release);
  pool.ctx.store(ctx, std::memory_order_release);
  pool.ntasks.store(ntasks, std::memory_order_release);
  pool.done.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lk(pool.mu);
    pool.next.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
  }
  pool.cv.notify_all();
  run_tasks(gen, 0);
  // Wait only for tasks that workers claimed and are still running: spin briefly (they usually end within
  // microseconds), then sleep until the last one ends. On a busy machine a worker may be descheduled in
  // the middle of its task; spinning for it would cost this thread its own time slice too.
  const auto start = std::chrono::steady_clock::now();
  for (int spins = 1; pool.done.load(std::memory_order_acquire) < ntasks; spins++) {
    DN_PAUSE();
    if ((spins & 63) == 0 && std::chrono::steady_clock::now() - start > kWaitSpin) {
      std::unique_lock<std::mutex> lk(pool.done_mu);
      pool.caller_waiting.store(true);
      pool.done_cv.wait(lk, [&] { return pool.done.load() >= ntasks; });
      pool.caller_waiting.store(false);
      break;
    }
  }
}

// Per-thread scratch lives here too.
static FBuf g_scratch[kMaxThreads][kSlots];
static FBuf g_shared[kSlots];
FBuf& scratch(int tid, int slot) { return g_scratch[tid][slot]; }
FBuf& shared_scratch(int slot) { return g_shared[slot]; }
void release_scratch() {
  for (auto& row : g_scratch)
    for (auto& b : row) b.release();
  for (auto& b : g_shared) b.release();
}

}  // namespace dn
