#include "slipway/testing/fake_clock.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "slipway/status.h"
#include "slipway/time.h"

namespace slipway::testing {
namespace {

constexpr char kNeverBackwards[] =
    "FakeClock never runs backwards (like the system clock it stands for)";

}  // namespace

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::DefaultStart() {
  return absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0),
                         absl::UTCTimeZone());
}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::SleepFor(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  absl::MutexLock lock(&mu_);
  now_ += d;
}

absl::Status FakeClock::Advance(absl::Duration d) {
  if (d < absl::ZeroDuration()) {
    const std::string shown = absl::FormatDuration(d);
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("FakeClock::Advance(", shown,
                     "): the duration is negative; a clock never runs "
                     "backwards. Pass a duration >= 0, e.g. absl::Seconds(1)"),
        ErrorDetail{.reason = "CLOCK_BACKWARDS",
                    .rule = kNeverBackwards,
                    .value = shown,
                    .fix = "Advance by a duration >= 0, e.g. "
                           "absl::Seconds(1)."});
  }
  absl::MutexLock lock(&mu_);
  now_ += d;
  return absl::OkStatus();
}

absl::Status FakeClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  if (t < now_) {
    const std::string target = FormatRfc3339(t);
    return MakeError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("FakeClock::Set(", target,
                     "): that is before the current fake time ",
                     FormatRfc3339(now_),
                     "; a clock never runs backwards. Set a time at or after "
                     "Now(), or create a new FakeClock"),
        ErrorDetail{
            .reason = "CLOCK_BACKWARDS",
            .rule = kNeverBackwards,
            .value = target,
            .fix = absl::StrCat("Set a time at or after ", FormatRfc3339(now_),
                                ", or start a new FakeClock at the "
                                "earlier time.")});
  }
  now_ = t;
  return absl::OkStatus();
}

}  // namespace slipway::testing
