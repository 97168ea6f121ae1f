#include "src/env/millis_cache.h"

#include <time.h>

#include <atomic>
#include <bit>
#include <cstdio>
#include <cstring>

namespace slipway::internal_env {
namespace {

// The kernel keeps time with the TSC: it checked that the counter is
// invariant and synchronised across CPUs. Read once per process.
bool KernelClockIsTsc() {
#if defined(__x86_64__)
  static const bool is_tsc = [] {
    std::FILE* f = std::fopen(
        "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        "r");
    if (f == nullptr) return false;
    char name[32] = {};
    const bool read = std::fgets(name, sizeof(name), f) != nullptr;
    std::fclose(f);
    return read && std::strcmp(name, "tsc\n") == 0;
  }();
  return is_tsc;
#else
  return false;
#endif
}

// TSC ticks per nanosecond, measured between two readings >= 20 ms apart;
// 0 until then. Process-wide; races between threads only repeat the work.
std::atomic<uint64_t> g_first_tsc{0};
std::atomic<int64_t> g_first_ns{0};
std::atomic<uint64_t> g_ticks_per_ns_bits{0};  // a double's bits

constexpr int64_t kCalibrationNs = 20'000'000;

double TicksPerNs(uint64_t tsc, int64_t ns) {
  if (uint64_t bits = g_ticks_per_ns_bits.load(std::memory_order_relaxed)) {
    return std::bit_cast<double>(bits);
  }
  uint64_t first_tsc = g_first_tsc.load(std::memory_order_acquire);
  if (first_tsc == 0) {
    g_first_ns.store(ns, std::memory_order_relaxed);
    g_first_tsc.store(tsc, std::memory_order_release);
    return 0;
  }
  const int64_t elapsed_ns = ns - g_first_ns.load(std::memory_order_relaxed);
  if (elapsed_ns < kCalibrationNs || tsc <= first_tsc) return 0;
  const double rate =
      static_cast<double>(tsc - first_tsc) / static_cast<double>(elapsed_ns);
  g_ticks_per_ns_bits.store(std::bit_cast<uint64_t>(rate),
                            std::memory_order_relaxed);
  return rate;
}

}  // namespace

MillisCache::MillisCache(const Clock* clock)
    : clock_(clock),
      use_tsc_(clock == Env::Default().clock && KernelClockIsTsc()),
      ticker_(clock == Env::Default().clock && TickClock::Get().enabled()
                  ? &TickClock::Get()
                  : nullptr) {}

int64_t MillisCache::Check() {
  trusted_reads_left_ = 0;
  const int64_t now = Precise();
  last_ = now;
  if (ticker_ == nullptr) return now;
  const int64_t ticked = ticker_->Read();
  if (ticked == 0) {
    // Stopped or parked: wake it when this cache is read often.
    if (wake_reads_ == 0 || now - wake_window_start_ > kWakeWindowMs) {
      wake_window_start_ = now;
      wake_reads_ = 0;
    }
    if (++wake_reads_ >= kWakeReads) {
      wake_reads_ = 0;
      ticker_->Wake();
    }
  } else if (ticked <= now && now - ticked <= 1) {
    // Current: it trails by its wake-up delay after each boundary.
    trusted_reads_left_ = kCheckEvery - 1;
  }
  // Otherwise it lags (or the clock was set back since its last tick):
  // check again at the next reading.
  return now;
}

int64_t MillisCache::Precise() {
#if defined(__x86_64__)
  if (use_tsc_ && hits_left_ > 0) {
    // unsigned: a TSC below the start refreshes
    if (__rdtsc() - start_tsc_ < span_ticks_) {
      --hits_left_;
      return ms_;
    }
  }
#endif
  return Refresh();
}

int64_t MillisCache::Refresh() {
  hits_left_ = 0;
  if (!use_tsc_) return clock_->NowUnixMillis();
#if defined(__x86_64__)
  // The same reading as SystemClock::NowUnixMillis, bracketed by TSC reads.
  timespec ts;
  const uint64_t before = __rdtsc();
  if (::clock_gettime(CLOCK_REALTIME, &ts) != 0) {
    return clock_->NowUnixMillis();
  }
  const uint64_t after = __rdtsc();
  const int64_t ns =
      static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  ms_ = ns / 1'000'000;  // tv_sec >= 0 after 1970: truncation is floor
  const double rate = TicksPerNs(after, ns);
  if (rate <= 0) return ms_;
  // Valid from `before` (the reading may have been taken right after it)
  // until 99 % of the time left to the next millisecond has passed.
  const int64_t left_ns = (ms_ + 1) * 1'000'000 - ns;
  const double span = static_cast<double>(left_ns) * rate * 0.99;
  const uint64_t taken = after - before;
  if (span <= static_cast<double>(taken)) return ms_;
  start_tsc_ = before;
  span_ticks_ = static_cast<uint64_t>(span) - taken;
  hits_left_ = kMaxHits;
  return ms_;
#else
  return clock_->NowUnixMillis();
#endif
}

}  // namespace slipway::internal_env
