#include "src/rollout/router.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "src/monitoring/outcome_window.h"
#include "src/rollout/outcome_recorder.h"
#include "src/rollout/prometheus.h"
#include "src/rollout/weights_snapshot.h"

namespace slipway {

std::string_view VariantName(Variant v) {
  return v == Variant::kCandidate ? "candidate" : "stable";
}

namespace internal_rollout {
namespace {

using internal_monitoring::OutcomeWindow;

constexpr Variant kVariants[] = {Variant::kStable, Variant::kCandidate};

int64_t UnixMinute(absl::Time t) {
  return absl::ToUnixSeconds(t) / 60 - (absl::ToUnixSeconds(t) % 60 < 0);
}

// How often the background thread persists the current minute's windows
// (a closed minute is persisted at once).
constexpr absl::Duration kPersistEvery = absl::Seconds(1);

int64_t PassesPer(absl::Duration every, absl::Duration pass) {
  if (pass <= absl::ZeroDuration()) return 1;
  return std::max<int64_t>(
      1, static_cast<int64_t>(std::llround(absl::FDivDuration(every, pass))));
}

class RouterImpl final : public Router {
 public:
  RouterImpl(std::string endpoint, RouterOptions options,
             std::unique_ptr<RouterLink> link, Clock* clock,
             std::string replica)
      : endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        link_(std::move(link)),
        clock_(clock),
        replica_(std::move(replica)),
        recorder_(options_.label_table_size),
        last_(std::make_unique<std::array<VariantTotals, 2>>()),
        scratch_(std::make_unique<VariantTotals>()) {}

  ~RouterImpl() override {
    StopThread();
    // Best effort: what was recorded since the last pass reaches the store.
    (void)Flush();
  }

  // The first routing read; then the thread.
  absl::Status Start(const RoutingInfo& routing) {
    Publish(WeightsSnapshot::From(routing));
    {
      absl::MutexLock l(&health_mu_);
      last_refresh_ = clock_->Now();
    }
    {
      absl::MutexLock l(&state_mu_);
      FoldLocked();  // sets the minute
    }
    if (options_.background) {
      thread_ = std::thread([this] { Loop(); });
    }
    return absl::OkStatus();
  }

  RouteDecision Route(std::string_view key) const override {
    return current_.load(std::memory_order_acquire)->Decide(RouterKeyHash(key));
  }
  RouteDecision Route(uint64_t key) const override {
    return current_.load(std::memory_order_acquire)->Decide(RouterKeyHash(key));
  }

  void Record(Variant variant, double latency_ms, bool error) override {
    recorder_.Record(variant, latency_ms, error);
  }
  void RecordPrediction(Variant variant) override {
    recorder_.RecordPrediction(variant);
  }
  void RecordPrediction(Variant variant,
                        std::string_view request_id) override {
    recorder_.RecordPrediction(variant, request_id);
  }
  bool RecordLabel(std::string_view request_id, bool correct) override {
    return recorder_.RecordLabel(request_id, correct);
  }

  absl::Status Refresh() override {
    absl::StatusOr<RoutingInfo> routing = link_->GetRouting(endpoint_);
    absl::StatusOr<bool> stop =
        routing.ok() ? link_->EmergencyStopActive() : absl::StatusOr<bool>(false);
    {
      absl::MutexLock l(&health_mu_);
      if (!routing.ok()) {
        ++consecutive_failures_;
        last_error_ = routing.status().ToString();
      } else {
        consecutive_failures_ = 0;
        last_refresh_ = clock_->Now();
        if (stop.ok()) emergency_stop_ = *stop;
      }
    }
    // Outcomes recorded so far belong to the versions they were served by
    // (fold them under the old snapshot before a swap) and to the minute of
    // the previous fold: folding on every refresh, even one that cannot read
    // the routing, is what lets a router without a background thread
    // attribute a minute's outcomes to that minute when its owner refreshes
    // as each minute begins and flushes as it ends.
    absl::MutexLock l(&state_mu_);
    FoldLocked();
    if (!routing.ok()) return routing.status();
    const WeightsSnapshot* cur = current_.load(std::memory_order_acquire);
    const WeightsSnapshot next = WeightsSnapshot::From(*routing);
    if (next.generation != cur->generation ||
        next.stable_version != cur->stable_version ||
        next.candidate_version != cur->candidate_version ||
        next.threshold != cur->threshold || next.shadow != cur->shadow) {
      Publish(next);
    }
    return absl::OkStatus();
  }

  absl::Status Flush() override {
    absl::MutexLock l(&state_mu_);
    FoldLocked();
    return PersistLocked();
  }

  absl::Status StartController() override {
    if (!options_.background) {
      return absl::FailedPreconditionError(
          "this router has no background thread (RouterOptions::background "
          "is false); call Store::Tick yourself");
    }
    controller_running_.store(true, std::memory_order_release);
    return absl::OkStatus();
  }
  void StopController() override {
    controller_running_.store(false, std::memory_order_release);
  }

  RouterHealth Health() const override {
    RouterHealth h;
    h.endpoint = endpoint_;
    h.replica = replica_;
    const WeightsSnapshot* s = current_.load(std::memory_order_acquire);
    h.generation = s->generation;
    h.stable_version = s->stable_version;
    h.candidate_version = s->candidate_version;
    h.candidate_weight = s->candidate_weight;
    h.shadow = s->shadow;
    h.labels_unmatched = static_cast<int64_t>(recorder_.labels_unmatched());
    h.predictions_evicted =
        static_cast<int64_t>(recorder_.predictions_evicted());
    h.controller_running = controller_running_.load(std::memory_order_acquire);
    absl::MutexLock l(&health_mu_);
    h.last_refresh = last_refresh_;
    h.last_error = last_error_;
    h.consecutive_failures = consecutive_failures_;
    h.serving_stale = consecutive_failures_ > 0;
    h.emergency_stop = emergency_stop_;
    h.windows_persisted = windows_persisted_;
    h.last_persist_error = last_persist_error_;
    h.last_tick_error = last_tick_error_;
    return h;
  }

  std::string PrometheusText() const override {
    const RouterHealth h = Health();
    const WeightsSnapshot* s = current_.load(std::memory_order_acquire);
    RouterMetrics m;
    m.endpoint = endpoint_;
    m.replica = replica_;
    m.generation = h.generation;
    m.shadow = h.shadow;
    m.last_refresh_unix_seconds =
        h.last_refresh == absl::InfinitePast()
            ? 0
            : absl::ToDoubleSeconds(h.last_refresh - absl::UnixEpoch());
    m.consecutive_refresh_failures = h.consecutive_failures;
    m.emergency_stop = h.emergency_stop;
    m.windows_persisted = h.windows_persisted;
    m.labels_unmatched = h.labels_unmatched;
    m.predictions_evicted = h.predictions_evicted;
    auto totals = std::make_unique<VariantTotals>();
    for (const Variant v : kVariants) {
      recorder_.ReadTotals(v, totals.get());
      VariantMetrics vm;
      vm.variant = std::string(VariantName(v));
      vm.version = s->VersionOf(v);
      const double w = s->shadow ? 0.0 : s->threshold / double(kRouterBuckets);
      vm.weight = v == Variant::kCandidate ? w : 1.0 - w;
      vm.requests = totals->requests;
      vm.errors = totals->errors;
      vm.predictions = totals->predictions;
      const LabelCounts labels = recorder_.ReadAllLabels(v);
      vm.labelled = labels.labelled;
      vm.correct = labels.correct;
      uint64_t running = 0;
      size_t bound = 0;
      for (size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
        const double hi = LatencyHistogram::BucketUpperBound(i);
        while (bound < kPrometheusLatencyBoundsMs.size() &&
               hi > kPrometheusLatencyBoundsMs[bound]) {
          vm.latency_le[bound++] = running;
        }
        running += totals->buckets[i];
      }
      while (bound < kPrometheusLatencyBoundsMs.size()) {
        vm.latency_le[bound++] = running;
      }
      vm.latency_count = running;
      vm.latency_sum_ms = static_cast<double>(totals->sum_ns) / 1e6;
      m.variants.push_back(std::move(vm));
    }
    return FormatPrometheus(m);
  }

  const std::string& endpoint() const override { return endpoint_; }
  const std::string& replica() const override { return replica_; }

 private:
  // A window of (minute, version) waiting to be (re)persisted.
  struct Pending {
    OutcomeWindow window;
    bool dirty = false;
  };
  // Label counts of one minute: the ring's reading when the minute began
  // and what was already added to windows since.
  struct MinuteLabels {
    std::array<LabelCounts, 2> base{};
    std::array<LabelCounts, 2> applied{};
  };

  // Snapshots are never freed while the router lives: Route loads the
  // pointer and reads through it with no lock and no reference count, so
  // no reader can ever hold a freed snapshot. They are only made when the
  // routing changes (a rollout transition), so the list stays small (a few
  // hundred bytes per transition). The alternative, packing all of Route's
  // inputs into one atomic word, cannot carry the version strings the
  // decision returns.
  void Publish(const WeightsSnapshot& s) {
    absl::MutexLock l(&snapshots_mu_);
    snapshots_.push_back(std::make_unique<const WeightsSnapshot>(s));
    current_.store(snapshots_.back().get(), std::memory_order_release);
  }

  // Adds what was recorded since the last fold to the window of the current
  // minute (per version of the snapshot in force), new labels to their
  // prediction minute's window, and moves to the clock's minute.
  void FoldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) {
    const int64_t now_minute = UnixMinute(clock_->Now());
    if (!started_) {
      started_ = true;
      current_minute_ = now_minute;
      StartMinuteLocked(now_minute);
    }
    const WeightsSnapshot* s = current_.load(std::memory_order_acquire);
    for (const Variant v : kVariants) {
      const size_t vi = static_cast<size_t>(v);
      recorder_.ReadTotals(v, scratch_.get());
      VariantTotals& last = (*last_)[vi];
      const VariantTotals& now = *scratch_;
      OutcomeWindow d;
      d.requests = now.requests - last.requests;
      // An error read before its request's fold lands one fold late.
      d.errors = std::min(now.errors - last.errors, d.requests);
      d.predictions = now.predictions - last.predictions;
      std::array<uint64_t, LatencyHistogram::kBucketCount> diff;
      bool any_latency = false;
      for (size_t i = 0; i < diff.size(); ++i) {
        diff[i] = now.buckets[i] - last.buckets[i];
        any_latency |= diff[i] != 0;
      }
      const uint64_t invalid = now.invalid_latencies - last.invalid_latencies;
      if (any_latency || invalid != 0) {
        d.latency = HistogramFromBuckets(
            diff.data(), invalid,
            static_cast<double>(now.sum_ns - last.sum_ns) / 1e6, now.min_ms,
            now.max_ms);
      }
      const uint64_t errors_folded = last.errors + d.errors;
      last = now;
      last.errors = errors_folded;
      const std::string& version = s->VersionOf(v);
      if (version.empty()) continue;  // no candidate: nothing to attribute
      if (d.requests == 0 && d.predictions == 0 && d.latency.empty() &&
          d.latency.invalid_count() == 0) {
        continue;
      }
      Pending& p = windows_[{current_minute_, version}];
      p.window.Merge(d);
      p.dirty = true;
    }
    for (auto& [minute, ml] : minute_labels_) {
      for (const Variant v : kVariants) {
        const size_t vi = static_cast<size_t>(v);
        const LabelCounts c = recorder_.ReadLabels(v, minute);
        LabelCounts add;
        add.labelled = c.labelled - ml.base[vi].labelled - ml.applied[vi].labelled;
        add.correct = std::min(
            c.correct - ml.base[vi].correct - ml.applied[vi].correct,
            add.labelled + (ml.applied[vi].labelled - ml.applied[vi].correct));
        if (add.labelled == 0 && add.correct == 0) continue;
        const std::string& version = s->VersionOf(v);
        if (version.empty()) continue;
        ml.applied[vi].labelled += add.labelled;
        ml.applied[vi].correct += add.correct;
        Pending& p = windows_[{minute, version}];
        p.window.labelled += add.labelled;
        p.window.correct += add.correct;
        p.dirty = true;
      }
    }
    if (now_minute != current_minute_) {
      current_minute_ = now_minute;
      StartMinuteLocked(now_minute);
      // Past the label horizon nothing changes a window any more.
      const int64_t horizon = now_minute - OutcomeRecorder::kLabelMinutes;
      minute_labels_.erase(minute_labels_.begin(),
                           minute_labels_.lower_bound(horizon));
      windows_.erase(windows_.begin(),
                     windows_.lower_bound({horizon, std::string()}));
      minute_closed_ = true;
    }
  }

  void StartMinuteLocked(int64_t minute)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) {
    MinuteLabels& ml = minute_labels_[minute];
    for (const Variant v : kVariants) {
      ml.base[static_cast<size_t>(v)] = recorder_.ReadLabels(v, minute);
    }
    // Only now may predictions be tagged with this minute (the base above
    // was read before any label of it can arrive).
    recorder_.SetMinute(minute);
  }

  absl::Status PersistLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) {
    absl::Status first = absl::OkStatus();
    int64_t persisted = 0;
    for (auto& [key, p] : windows_) {
      if (!p.dirty) continue;
      absl::Status st = link_->RecordWindow(
          endpoint_, key.second, absl::FromUnixSeconds(key.first * 60),
          p.window, replica_);
      if (st.ok()) {
        p.dirty = false;
        ++persisted;
      } else if (first.ok()) {
        first = st;
      }
    }
    minute_closed_ = false;
    absl::MutexLock l(&health_mu_);
    windows_persisted_ += persisted;
    if (!first.ok()) last_persist_error_ = first.ToString();
    return first;
  }

  void Loop() {
    const int64_t persist_every =
        PassesPer(kPersistEvery, options_.refresh_interval);
    int64_t pass = 0;
    int64_t tick_pass = 0;
    for (;;) {
      {
        absl::MutexLock l(&thread_mu_);
        if (thread_mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                                        options_.refresh_interval)) {
          return;
        }
      }
      ++pass;
      (void)Refresh();  // folds too; failures are in Health()
      {
        absl::MutexLock l(&state_mu_);
        if (minute_closed_ || pass % persist_every == 0) (void)PersistLocked();
      }
      if (controller_running_.load(std::memory_order_acquire)) {
        const int64_t tick_every =
            PassesPer(options_.controller_interval, options_.refresh_interval);
        if (++tick_pass % tick_every == 0) {
          absl::StatusOr<int> t = link_->Tick();
          absl::MutexLock l(&health_mu_);
          last_tick_error_ = t.ok() ? "" : t.status().ToString();
        }
      }
    }
  }

  void StopThread() {
    {
      absl::MutexLock l(&thread_mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  const std::string endpoint_;
  const RouterOptions options_;
  const std::unique_ptr<RouterLink> link_;
  Clock* const clock_;
  const std::string replica_;

  std::atomic<const WeightsSnapshot*> current_{nullptr};
  absl::Mutex snapshots_mu_;
  std::vector<std::unique_ptr<const WeightsSnapshot>> snapshots_
      ABSL_GUARDED_BY(snapshots_mu_);

  OutcomeRecorder recorder_;
  std::atomic<bool> controller_running_{false};

  // The fold and persist state (background thread, Flush, Refresh).
  absl::Mutex state_mu_;
  bool started_ ABSL_GUARDED_BY(state_mu_) = false;
  bool minute_closed_ ABSL_GUARDED_BY(state_mu_) = false;
  int64_t current_minute_ ABSL_GUARDED_BY(state_mu_) = 0;
  const std::unique_ptr<std::array<VariantTotals, 2>> last_
      ABSL_GUARDED_BY(state_mu_);
  const std::unique_ptr<VariantTotals> scratch_ ABSL_GUARDED_BY(state_mu_);
  std::map<std::pair<int64_t, std::string>, Pending> windows_
      ABSL_GUARDED_BY(state_mu_);
  std::map<int64_t, MinuteLabels> minute_labels_ ABSL_GUARDED_BY(state_mu_);

  mutable absl::Mutex health_mu_;
  absl::Time last_refresh_ ABSL_GUARDED_BY(health_mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(health_mu_);
  int64_t consecutive_failures_ ABSL_GUARDED_BY(health_mu_) = 0;
  bool emergency_stop_ ABSL_GUARDED_BY(health_mu_) = false;
  int64_t windows_persisted_ ABSL_GUARDED_BY(health_mu_) = 0;
  std::string last_persist_error_ ABSL_GUARDED_BY(health_mu_);
  std::string last_tick_error_ ABSL_GUARDED_BY(health_mu_);

  absl::Mutex thread_mu_;
  bool stopping_ ABSL_GUARDED_BY(thread_mu_) = false;
  std::thread thread_;
};

}  // namespace

std::string DefaultReplicaId(IdSource* ids) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] ? host : "localhost", ":", getpid(), ":",
                      ids->NewId().substr(0, 8));
}

absl::StatusOr<std::unique_ptr<Router>> OpenRouter(
    std::string_view endpoint, const RouterOptions& options,
    std::unique_ptr<RouterLink> link, Clock* clock, IdSource* ids) {
  absl::StatusOr<RoutingInfo> routing = link->GetRouting(endpoint);
  if (!routing.ok()) return routing.status();
  std::string replica =
      options.replica.empty() ? DefaultReplicaId(ids) : options.replica;
  auto router = std::make_unique<RouterImpl>(
      std::string(endpoint), options, std::move(link), clock,
      std::move(replica));
  if (absl::Status st = router->Start(*routing); !st.ok()) return st;
  return std::unique_ptr<Router>(std::move(router));
}

}  // namespace internal_rollout
}  // namespace slipway
