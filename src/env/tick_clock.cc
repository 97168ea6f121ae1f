#include "src/env/tick_clock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace slipway::internal_env {
namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

bool DisabledByEnvironment() {
  const char* v = std::getenv("SLIPWAY_CLOCK_THREAD");
  if (v == nullptr) return false;
  return std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0 ||
         std::strcmp(v, "false") == 0 || std::strcmp(v, "no") == 0;
}

}  // namespace

TickClock& TickClock::Get() {
  static TickClock* const clock = new TickClock();
  return *clock;
}

TickClock::TickClock() {
  if (DisabledByEnvironment()) {
    state_.store(kDisabled, std::memory_order_relaxed);
    return;
  }
  // The thread does not survive fork(): a child must start its own.
  ::pthread_atfork(nullptr, nullptr, &TickClock::AfterForkInChild);
}

void TickClock::AfterForkInChild() {
  TickClock& c = Get();
  c.ms_.store(0, std::memory_order_relaxed);
  c.touched_.store(false, std::memory_order_relaxed);
  if (c.state_.load(std::memory_order_relaxed) != kDisabled) {
    c.state_.store(kStopped, std::memory_order_relaxed);
  }
}

void TickClock::Wake() {
  int s = state_.load(std::memory_order_acquire);
  if (s == kRunning || s == kDisabled) return;
  if (s == kParked) {
    if (state_.compare_exchange_strong(s, kRunning)) state_.notify_one();
    return;  // lost the race: somebody else woke it
  }
  if (!state_.compare_exchange_strong(s, kRunning)) return;  // kStopped
  // The thread takes no signals: they belong to the application's threads
  // (Python handles them on its main thread). It inherits this mask.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* self) -> void* {
        static_cast<TickClock*>(self)->Loop();
        return nullptr;
      },
      this);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  // Without a thread the readers keep reading the clock themselves.
  if (rc != 0) state_.store(kDisabled, std::memory_order_release);
}

void TickClock::Loop() {
#if defined(__linux__)
  ::prctl(PR_SET_NAME, "slipway-clock");
  ::prctl(PR_SET_TIMERSLACK, 10'000UL);  // wake within 10 us of a boundary
#endif
  int ticks = 0;       // in the current window of kWindowTicks
  int read_ticks = 0;  // of those, ticks with a Read() since the previous
  for (;;) {
    timespec now;
    if (::clock_gettime(CLOCK_REALTIME, &now) != 0) {
      ms_.store(0, std::memory_order_relaxed);
      state_.store(kDisabled, std::memory_order_release);
      return;
    }
    const int64_t ns =
        static_cast<int64_t>(now.tv_sec) * kNanosPerSecond + now.tv_nsec;
    const int64_t ms = ns / kNanosPerMilli;  // floor: after 1970
    ms_.store(ms, std::memory_order_relaxed);
    if (touched_.load(std::memory_order_relaxed)) {
      touched_.store(false, std::memory_order_relaxed);
      ++read_ticks;
    }
    if (++ticks == kWindowTicks) {
      const bool busy = read_ticks >= kMinReadTicks;
      ticks = read_ticks = 0;
      if (!busy) {
        // Read in fewer than 1 ms of 10: reading the clock directly costs
        // the readers less than these wakeups cost the machine.
        ms_.store(0, std::memory_order_relaxed);
        int expected = kRunning;
        if (state_.compare_exchange_strong(expected, kParked)) {
          while (state_.load(std::memory_order_acquire) == kParked) {
            state_.wait(kParked, std::memory_order_acquire);
          }
        }
        touched_.store(false, std::memory_order_relaxed);
        continue;  // publish at once
      }
    }
    const int64_t next_ns = (ms + 1) * kNanosPerMilli;
    timespec next;
    next.tv_sec = static_cast<time_t>(next_ns / kNanosPerSecond);
    next.tv_nsec = static_cast<long>(next_ns % kNanosPerSecond);
    while (::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &next, nullptr) ==
           EINTR) {
    }
  }
}

}  // namespace slipway::internal_env
