// A small test-and-test-and-set lock for the logging hot path: a run's
// buffer lock is taken once per logged point and held for a few stores, so
// an uncontended acquire must cost a handful of nanoseconds. (Debian's
// absl::Mutex runs its deadlock detector on every Lock, ~10 % of a
// LogMetric; std::mutex costs a pair of atomic RMWs plus a call.) Waiters
// spin briefly, then yield, so a preempted holder does not burn a core.
//
// Use only for critical sections of bounded, tiny length.
#ifndef SLIPWAY_SRC_TRACKING_SPIN_LOCK_H_
#define SLIPWAY_SRC_TRACKING_SPIN_LOCK_H_

#include <atomic>
#include <thread>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"

namespace slipway::internal_tracking {

class ABSL_LOCKABLE SpinLock {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (!held_.exchange(true, std::memory_order_acquire)) return;
    LockSlow();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    held_.store(false, std::memory_order_release);
  }

 private:
  // Out of line: the uncontended Lock() is the hot path.
  ABSL_ATTRIBUTE_NOINLINE void LockSlow() {
    for (int spins = 0;; ++spins) {
      while (held_.load(std::memory_order_relaxed)) {
        if (++spins > 100) {
          std::this_thread::yield();
          spins = 0;
        } else {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        }
      }
      if (!held_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  std::atomic<bool> held_{false};
};

class ABSL_SCOPED_LOCKABLE SpinLockHolder {
 public:
  explicit SpinLockHolder(SpinLock* lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock)
      : lock_(lock) {
    lock_->Lock();
  }
  ~SpinLockHolder() ABSL_UNLOCK_FUNCTION() { lock_->Unlock(); }
  SpinLockHolder(const SpinLockHolder&) = delete;
  SpinLockHolder& operator=(const SpinLockHolder&) = delete;

 private:
  SpinLock* const lock_;
};

}  // namespace slipway::internal_tracking

#endif  // SLIPWAY_SRC_TRACKING_SPIN_LOCK_H_
