// fraud_service: an example C++ serving process for slipway (docs/serving.md).
//
// It links the installed library (find_package(slipway)), opens the store,
// asks a Router which model version serves each request, scores synthetic
// card transactions with the version's registered artifact (model.txt,
// fetched from the registry), and reports every outcome: latency, errors
// (a model that returns NaN), predictions and their labels, and sampled
// feature values for the drift check. The router follows the endpoint's
// rollout by itself; the service also runs the controller (Store::Tick), so
// it needs no other moving part.
//
// Two ways to run it:
//
//   Real time (what a production service does): a background thread
//   refreshes the weights, persists outcome windows and ticks the
//   controller; the service serves --rps requests per second for
//   --seconds and prints one line per second.
//
//     fraud_service --store=/srv/slipway.db --endpoint=fraud-prod
//
//   Simulated time (the end-to-end demo, python -m slipway demo): a fake
//   clock starting at --simulate-from-ms; each simulated minute serves
//   --rps × 60 requests, persists the minute, ticks the controller and
//   prints one JSON line; it stops after --max-minutes, or with
//   --until=approval as soon as the rollout waits for a person or ends.
//
// Exit status: 0 done, 1 a store error, 2 bad flags.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <slipway/slipway.h>
#include <slipway/testing/fake_clock.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "model.h"
#include "traffic.h"

namespace fraud_service {
namespace {

struct Flags {
  std::string store;
  std::string endpoint = "fraud-prod";
  std::string environment = "production";
  std::string work_dir = "fraud-service-models";
  std::string replica = "fraud-service";
  std::vector<std::string> drift_features;
  int64_t simulate_from_ms = -1;  // < 0: real time
  int max_minutes = 60;
  bool until_approval = false;
  double seconds = 10;
  int rps = 8;
  double missing_rate = 0.03;
  uint64_t seed = 1;
  bool prometheus = false;
};

constexpr char kUsage[] =
    "usage: fraud_service --store=PATH [--endpoint=fraud-prod]\n"
    "         [--environment=production] [--rps=8] [--seed=1]\n"
    "         [--missing-rate=0.03] [--work-dir=DIR] [--replica=ID]\n"
    "         [--drift-features=a,b]\n"
    "       real time:      [--seconds=10] [--prometheus]\n"
    "       simulated time: --simulate-from-ms=MS [--max-minutes=60]\n"
    "                       [--until=approval]\n";

bool ParseFlags(int argc, char** argv, Flags* f, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *error = "";
      return false;
    }
    if (arg == "--prometheus") {
      f->prometheus = true;
      continue;
    }
    const size_t eq = arg.find('=');
    if (arg.substr(0, 2) != "--" || eq == std::string_view::npos) {
      *error = absl::StrCat("unexpected argument '", std::string(arg), "'");
      return false;
    }
    const std::string_view name = arg.substr(2, eq - 2);
    const std::string value(arg.substr(eq + 1));
    bool ok = true;
    if (name == "store") {
      f->store = value;
    } else if (name == "endpoint") {
      f->endpoint = value;
    } else if (name == "environment") {
      f->environment = value;
    } else if (name == "work-dir") {
      f->work_dir = value;
    } else if (name == "replica") {
      f->replica = value;
    } else if (name == "drift-features") {
      f->drift_features = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (name == "simulate-from-ms") {
      ok = absl::SimpleAtoi(value, &f->simulate_from_ms) &&
           f->simulate_from_ms >= 0;
    } else if (name == "max-minutes") {
      ok = absl::SimpleAtoi(value, &f->max_minutes) && f->max_minutes > 0;
    } else if (name == "until") {
      ok = value == "approval" || value == "end";
      f->until_approval = value == "approval";
    } else if (name == "seconds") {
      ok = absl::SimpleAtod(value, &f->seconds) && f->seconds > 0;
    } else if (name == "rps") {
      ok = absl::SimpleAtoi(value, &f->rps) && f->rps > 0 && f->rps <= 100000;
    } else if (name == "missing-rate") {
      ok = absl::SimpleAtod(value, &f->missing_rate) &&
           f->missing_rate >= 0 && f->missing_rate <= 1;
    } else if (name == "seed") {
      ok = absl::SimpleAtoi(value, &f->seed);
    } else {
      *error = absl::StrCat("unknown flag --", std::string(name));
      return false;
    }
    if (!ok) {
      *error = absl::StrCat("bad value for --", std::string(name), ": '", value, "'");
      return false;
    }
  }
  if (f->store.empty()) {
    *error = "--store is required";
    return false;
  }
  return true;
}

// Models by version, loaded from the registry on first use.
class ModelCache {
 public:
  ModelCache(slipway::Store* store, std::string model, std::string dir)
      : store_(store), model_(std::move(model)), dir_(std::move(dir)) {}

  // The model of `version` and, per model feature, its index in a
  // Transaction.
  struct Entry {
    Model model;
    std::vector<size_t> index;
  };
  absl::StatusOr<const Entry*> Get(std::string_view version) {
    auto it = models_.find(std::string(version));
    if (it != models_.end()) return &it->second;
    const std::string dest = absl::StrCat(dir_, "/", std::string(version));
    if (absl::Status s = store_->DownloadArtifacts(model_, version, dest);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<Model> m = Model::Load(dest + "/model.txt");
    if (!m.ok()) return m.status();
    Entry e{*std::move(m), {}};
    for (const std::string& name : e.model.features()) {
      auto f = std::find(kFeatureNames.begin(), kFeatureNames.end(), name);
      if (f == kFeatureNames.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(model_, " ", std::string(version), " wants feature '", name,
                         "', which the traffic does not have"));
      }
      e.index.push_back(static_cast<size_t>(f - kFeatureNames.begin()));
    }
    return &models_.emplace(std::string(version), std::move(e)).first->second;
  }

 private:
  slipway::Store* store_;
  std::string model_;
  std::string dir_;
  std::map<std::string, Entry> models_;
};

// What one variant did in the current period (for the printed line; the
// router keeps the real counters).
struct PeriodStats {
  std::string version;
  int64_t requests = 0;
  int64_t errors = 0;
  int64_t correct = 0;
  std::vector<double> latencies;
  double P99() {
    if (latencies.empty()) return NAN;
    const size_t k = static_cast<size_t>(0.99 * (latencies.size() - 1));
    std::nth_element(latencies.begin(), latencies.begin() + k,
                     latencies.end());
    return latencies[k];
  }
};

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  return std::isfinite(v) ? absl::StrCat(v) : "null";
}

std::string JsonStats(PeriodStats& s) {
  const int64_t predicted = s.requests - s.errors;
  return absl::StrCat(
      "{\"version\":", JsonString(s.version), ",\"requests\":", s.requests,
      ",\"errors\":", s.errors, ",\"p99_ms\":", JsonNumber(s.P99()),
      ",\"accuracy\":",
      JsonNumber(predicted > 0 ? static_cast<double>(s.correct) /
                                     static_cast<double>(predicted)
                               : NAN),
      "}");
}

class Service {
 public:
  Service(const Flags& flags, slipway::Store* store, slipway::Router* router,
          std::string model)
      : flags_(flags),
        store_(store),
        router_(router),
        models_(store, std::move(model), flags.work_dir),
        traffic_(flags.seed, flags.missing_rate),
        rng_(flags.seed ^ 0x5eed) {}

  // One request: route, score with the serving version (and the mirrored
  // one in a shadow stage), record what happened.
  absl::Status ServeOne() {
    const Transaction t = traffic_.Next();
    std::uniform_int_distribution<int> user(0, 99'999);
    const std::string key = absl::StrCat("user-", user(rng_));
    const slipway::RouteDecision d = router_->Route(key);
    if (absl::Status s = Score(d.variant, d.version, t); !s.ok()) return s;
    if (d.mirror) return Score(slipway::Variant::kCandidate, d.mirror_version, t);
    return absl::OkStatus();
  }

  PeriodStats& stats(slipway::Variant v) {
    return stats_[static_cast<int>(v)];
  }
  void ResetStats() {
    for (PeriodStats& s : stats_) s = PeriodStats{};
    for (auto& [feature, values] : samples_) values.clear();
  }

  // Sampled candidate feature values of the period, for the drift check.
  absl::Status RecordFeatureSamples(int64_t minute_ms) {
    const std::string& version = stats(slipway::Variant::kCandidate).version;
    if (version.empty()) return absl::OkStatus();
    for (auto& [feature, values] : samples_) {
      if (values.empty()) continue;
      if (absl::Status s = store_->RecordFeatureSamples(
              flags_.endpoint, version, minute_ms, feature, values,
              flags_.replica);
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Score(slipway::Variant variant, std::string_view version,
                     const Transaction& t) {
    absl::StatusOr<const ModelCache::Entry*> e = models_.Get(version);
    if (!e.ok()) return e.status();
    double x[kFeatureNames.size()];
    const size_t k = (*e)->index.size();
    for (size_t i = 0; i < k; ++i) x[i] = t.features[(*e)->index[i]];
    const double score = (*e)->model.Score(std::span<const double>(x, k));
    // Simulated latency: network and feature lookup (log-normal around
    // 6 ms) plus 0.4 ms per feature the model reads.
    std::lognormal_distribution<double> network(std::log(6.0), 0.35);
    const double latency = network(rng_) + 0.4 * static_cast<double>(k);
    const bool error = std::isnan(score);
    router_->Record(variant, latency, error);
    PeriodStats& s = stats(variant);
    s.version = std::string(version);
    ++s.requests;
    s.latencies.push_back(latency);
    if (error) {
      ++s.errors;
    } else {
      // The label arrives later in a real service; here at once.
      const std::string id = absl::StrCat("req-", ++request_number_);
      router_->RecordPrediction(variant, id);
      const bool correct = (score >= 0.5) == t.fraud;
      router_->RecordLabel(id, correct);
      s.correct += correct ? 1 : 0;
    }
    if (variant == slipway::Variant::kCandidate) {
      for (const std::string& f : flags_.drift_features) {
        auto it = std::find(kFeatureNames.begin(), kFeatureNames.end(), f);
        if (it == kFeatureNames.end()) continue;
        const double v = t.features[static_cast<size_t>(it - kFeatureNames.begin())];
        if (!std::isnan(v)) samples_[f].push_back(v);
      }
    }
    return absl::OkStatus();
  }

  const Flags& flags_;
  slipway::Store* store_;
  slipway::Router* router_;
  ModelCache models_;
  TrafficGenerator traffic_;
  std::mt19937_64 rng_;
  int64_t request_number_ = 0;
  PeriodStats stats_[2];
  std::map<std::string, std::vector<double>> samples_;
};

int Fail(const absl::Status& s, std::string_view doing) {
  std::fprintf(stderr, "fraud_service: %s: %s\n", std::string(doing).c_str(),
               s.ToString().c_str());
  return 1;
}

// Simulated time: one JSON line per minute.
int RunSimulated(const Flags& flags, slipway::testing::FakeClock& clock,
                 slipway::Store& store, slipway::Router& router,
                 Service& service) {
  for (int minute = 0; minute < flags.max_minutes; ++minute) {
    const int64_t minute_ms = absl::ToUnixMillis(clock.Now());
    service.ResetStats();
    for (int i = 0; i < flags.rps * 60; ++i) {
      if (absl::Status s = service.ServeOne(); !s.ok()) return Fail(s, "serve");
    }
    // Close the minute: persist its windows and samples, then tick.
    (void)clock.Advance(absl::Seconds(59));
    if (absl::Status s = router.Flush(); !s.ok()) return Fail(s, "flush");
    if (absl::Status s = service.RecordFeatureSamples(minute_ms); !s.ok()) {
      return Fail(s, "record feature samples");
    }
    (void)clock.Advance(absl::Seconds(1));
    absl::StatusOr<int> ticks = store.Tick();
    if (!ticks.ok()) return Fail(ticks.status(), "tick");
    if (absl::Status s = router.Refresh(); !s.ok()) return Fail(s, "refresh");
    absl::StatusOr<std::vector<slipway::RolloutStatus>> rollouts =
        store.ListRollouts(flags.endpoint);
    if (!rollouts.ok()) return Fail(rollouts.status(), "status");
    std::string line = absl::StrCat(
        "{\"t\":", minute_ms, ",\"stable\":",
        JsonStats(service.stats(slipway::Variant::kStable)),
        ",\"candidate\":", JsonStats(service.stats(slipway::Variant::kCandidate)),
        ",\"transitions\":", *ticks);
    bool stop = false;
    if (!rollouts->empty()) {
      const slipway::RolloutStatus& r = rollouts->front();
      absl::StrAppend(
          &line, ",\"rollout\":{\"id\":", JsonString(r.id),
          ",\"version\":", JsonString(r.candidate_version),
          ",\"phase\":", JsonString(r.phase), ",\"stage\":", JsonString(r.stage),
          ",\"weight\":", JsonNumber(r.candidate_weight),
          ",\"shadow\":", r.shadow ? "true" : "false",
          ",\"active\":", r.active ? "true" : "false",
          ",\"transition_count\":", r.transitions,
          ",\"reason\":", JsonString(r.last_reason),
          ",\"next_gate\":", JsonString(r.next_gate), "}");
      stop = flags.until_approval &&
             (!r.active || r.phase == "AWAITING_APPROVAL" || r.phase == "HALTED");
    }
    std::printf("%s}\n", line.c_str());
    std::fflush(stdout);
    if (stop) break;
  }
  return 0;
}

// Real time: a background thread follows the rollout, persists outcomes
// and runs the controller; one summary line per second.
int RunRealTime(const Flags& flags, slipway::Router& router, Service& service) {
  if (absl::Status s = router.StartController(); !s.ok()) {
    return Fail(s, "start the controller");
  }
  const auto period = std::chrono::microseconds(1'000'000 / flags.rps);
  auto next = std::chrono::steady_clock::now();
  const int total = static_cast<int>(flags.seconds * flags.rps);
  for (int i = 1; i <= total; ++i) {
    if (absl::Status s = service.ServeOne(); !s.ok()) return Fail(s, "serve");
    if (i % flags.rps == 0 || i == total) {
      const slipway::RouterHealth h = router.Health();
      PeriodStats& st = service.stats(slipway::Variant::kStable);
      PeriodStats& ca = service.stats(slipway::Variant::kCandidate);
      std::printf(
          "stable %s: %lld requests, %lld errors | candidate %s (weight "
          "%.2f%s): %lld requests, %lld errors%s\n",
          h.stable_version.c_str(), static_cast<long long>(st.requests),
          static_cast<long long>(st.errors),
          h.candidate_version.empty() ? "-" : h.candidate_version.c_str(),
          h.candidate_weight, h.shadow ? ", shadow" : "",
          static_cast<long long>(ca.requests),
          static_cast<long long>(ca.errors),
          h.serving_stale ? "  [store unreachable: last known weights]" : "");
      std::fflush(stdout);
      service.ResetStats();
    }
    next += period;
    std::this_thread::sleep_until(next);
  }
  router.StopController();
  if (absl::Status s = router.Flush(); !s.ok()) return Fail(s, "flush");
  if (flags.prometheus) std::fputs(router.PrometheusText().c_str(), stdout);
  return 0;
}

int Main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &error)) {
    if (!error.empty()) std::fprintf(stderr, "fraud_service: %s\n", error.c_str());
    std::fputs(kUsage, error.empty() ? stdout : stderr);
    return error.empty() ? 0 : 2;
  }
  const bool simulated = flags.simulate_from_ms >= 0;
  slipway::testing::FakeClock clock(
      absl::FromUnixMillis(simulated ? flags.simulate_from_ms : 0));
  slipway::StoreOptions options;
  if (simulated) options.env.clock = &clock;
  options.policy.environment = flags.environment;
  absl::StatusOr<std::unique_ptr<slipway::Store>> store =
      slipway::Store::Open(flags.store, options);
  if (!store.ok()) return Fail(store.status(), "open the store");
  absl::StatusOr<slipway::EndpointInfo> endpoint =
      (*store)->GetEndpoint(flags.endpoint);
  if (!endpoint.ok()) return Fail(endpoint.status(), "read the endpoint");
  slipway::RouterOptions router_options;
  router_options.replica = flags.replica;
  router_options.background = !simulated;
  absl::StatusOr<std::unique_ptr<slipway::Router>> router =
      (*store)->OpenRouter(flags.endpoint, router_options);
  if (!router.ok()) return Fail(router.status(), "open the router");
  Service service(flags, store->get(), router->get(), endpoint->model);
  return simulated ? RunSimulated(flags, clock, **store, **router, service)
                   : RunRealTime(flags, **router, service);
}

}  // namespace
}  // namespace fraud_service

int main(int argc, char** argv) { return fraud_service::Main(argc, argv); }
