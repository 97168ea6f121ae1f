// TickClock: the system wall clock in Unix milliseconds, kept in memory by
// a helper thread, so that stamping a logged point costs one load instead
// of a clock read.
//
// Why: reading the time-stamp counter costs ~7-10 ns on this project's
// machines (it is a microcoded instruction), a fifth of a whole Python
// log_metric call, and clock_gettime costs ~16 ns. The thread reads
// CLOCK_REALTIME at every millisecond boundary and publishes the
// millisecond; readers load it.
//
// The thread runs only while somebody reads often: at the end of each
// window of kWindowTicks ticks in which fewer than kMinReadTicks ticks saw
// a Read(), it parks (Read() then returns 0 and the caller reads the clock
// itself, calling Wake() when it reads often again). So an idle process, or
// one logging a point every few milliseconds, has no wakeups; a process
// logging fast has 1,000 a second (a few microseconds each).
//
// A published value is never ahead of the clock. It trails it by the
// thread's wake-up delay after each boundary (tens of microseconds) and,
// when the machine is overloaded, by the thread's scheduling delay;
// MillisCache checks it against the clock every kCheckEvery readings to
// bound that.
//
// fork(): the child starts with the thread stopped (Read() returns 0) and
// starts its own on the next Wake(). SLIPWAY_CLOCK_THREAD=off in the
// environment disables the thread for the process (Read() always 0).
//
// Thread-safety: thread-safe; Read() is wait-free.
#ifndef SLIPWAY_SRC_ENV_TICK_CLOCK_H_
#define SLIPWAY_SRC_ENV_TICK_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/base/attributes.h"

namespace slipway::internal_env {

class TickClock {
 public:
  // The process's one TickClock. Never destroyed, so its thread never sees
  // it go away during static destruction. Starts no thread by itself.
  static TickClock& Get();

  TickClock(const TickClock&) = delete;
  TickClock& operator=(const TickClock&) = delete;

  // The wall clock's millisecond as of the last tick, or 0 when the thread
  // is not running (stopped, parked, disabled).
  ABSL_ATTRIBUTE_ALWAYS_INLINE int64_t Read() {
    const int64_t ms = ms_.load(std::memory_order_relaxed);
    // A store only once per tick: the line stays shared otherwise.
    if (!touched_.load(std::memory_order_relaxed)) {
      touched_.store(true, std::memory_order_relaxed);
    }
    return ms;
  }

  // Starts the thread, or unparks it. Cheap when it runs already; a no-op
  // when disabled or when the thread could not be created.
  void Wake();

  // Whether the thread is enabled for this process (SLIPWAY_CLOCK_THREAD).
  bool enabled() const {
    return state_.load(std::memory_order_relaxed) != kDisabled;
  }

  // The thread parks after a window of kWindowTicks ticks (ms) in which
  // fewer than kMinReadTicks saw a Read().
  static constexpr int kWindowTicks = 100;
  static constexpr int kMinReadTicks = 10;

 private:
  enum State : int { kStopped, kRunning, kParked, kDisabled };

  TickClock();
  void Loop();
  static void AfterForkInChild();

  // Both are read on every Read(): one cache line, written by the thread
  // once per tick.
  alignas(64) std::atomic<int64_t> ms_{0};
  std::atomic<bool> touched_{false};
  alignas(64) std::atomic<int> state_{kStopped};
};

}  // namespace slipway::internal_env

#endif  // SLIPWAY_SRC_ENV_TICK_CLOCK_H_
