#include "src/storage/backoff.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"

namespace slipway::internal_storage {
namespace {

// splitmix64: a tiny, good-enough generator for jitter. Jitter needs no
// secrecy, only that two processes (or two Backoffs) draw different delays,
// hence the seed from the pid, the object address and the start time.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Backoff::Backoff(Clock* clock, absl::Duration deadline)
    : clock_(clock),
      start_(clock->Now()),
      deadline_(start_ + std::max(deadline, absl::ZeroDuration())),
      rng_state_(static_cast<uint64_t>(::getpid()) * 0x100000001b3ULL ^
                 reinterpret_cast<uintptr_t>(this) ^
                 static_cast<uint64_t>(absl::ToUnixNanos(start_))) {}

bool Backoff::SleepBeforeRetry() {
  const absl::Duration left = deadline_ - clock_->Now();
  if (left <= absl::ZeroDuration()) return false;
  // Uniform in [delay/2, delay], at microsecond granularity.
  const int64_t full_us = absl::ToInt64Microseconds(next_delay_);
  const int64_t half_us = full_us / 2;
  const int64_t span = full_us - half_us + 1;
  const int64_t jittered_us =
      half_us + static_cast<int64_t>(NextRandom(rng_state_) %
                                     static_cast<uint64_t>(span));
  clock_->SleepFor(std::min(absl::Microseconds(jittered_us), left));
  next_delay_ = std::min(next_delay_ * 2, kMaxDelay);
  ++retries_;
  return true;
}

absl::Duration Backoff::Elapsed() const { return clock_->Now() - start_; }

}  // namespace slipway::internal_storage
