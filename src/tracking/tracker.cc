#include "src/tracking/tracker.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "slipway/status.h"
#include "slipway/validate.h"
#include "src/codec/chunk.h"
#include "src/errors/strings.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"
#include "src/query/page_token.h"
#include "src/tracking/downsample.h"
#include "src/tracking/run_impl.h"
#include "src/tracking/source_info.h"

namespace slipway::internal_tracking {
namespace {

using internal_strings::Cat;

// MLflow's ceiling for one page of search_runs.
constexpr size_t kMaxSearchResults = 50'000;

std::string DefaultUser() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user)
    return user;
  if (const char* user = std::getenv("LOGNAME"); user != nullptr && *user)
    return user;
  return "unknown";
}

}  // namespace

Tracker::Tracker(std::unique_ptr<internal_storage::TrackingBackend> backend,
                 StoreOptions options)
    : backend_(std::move(backend)),
      options_(std::move(options)),
      owner_pid_(::getpid()) {
  if (options_.durability == StoreOptions::Durability::kBuffered) {
    writer_ = std::make_unique<std::thread>([this] { WriterLoop(); });
  }
}

Tracker::~Tracker() {
  if (::getpid() != owner_pid_) {
    // A forked child: the writer thread and the connection belong to the
    // parent. Joining a thread that does not exist here, or writing the
    // parent's buffered points a second time, would be wrong; leak both.
    (void)writer_.release();
    (void)backend_.release();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (writer_ != nullptr) writer_->join();
  if (absl::Status s = Flush(); !s.ok()) {
    std::fprintf(stderr,
                 "slipway: closing the store lost buffered points: %s\n",
                 std::string(s.ToString()).c_str());
  }
  // Runs nobody ended: their program stopped without saying they finished.
  for (const std::shared_ptr<RunImpl>& run : LiveRuns()) {
    if (absl::Status s = run->End(RunStatus::kKilled); !s.ok()) {
      std::fprintf(stderr, "slipway: could not end run %s: %s\n",
                   run->id().c_str(), std::string(s.ToString()).c_str());
    }
  }
}

int64_t Tracker::NowMs() const { return options_.env.clock->NowUnixMillis(); }

std::vector<std::shared_ptr<RunImpl>> Tracker::LiveRuns() {
  absl::MutexLock lock(&mu_);
  return live_;
}

void Tracker::Forget(const RunImpl* run) {
  absl::MutexLock lock(&mu_);
  std::erase_if(live_, [run](const auto& r) { return r.get() == run; });
}

void Tracker::Nudge() {
  absl::MutexLock lock(&mu_);
  nudged_ = true;
}

void Tracker::WriterLoop() {
  for (;;) {
    uint64_t target;
    {
      absl::MutexLock lock(&mu_);
      // Wait for the interval, a Flush request, a nudge or shutdown. This
      // is a scheduling wait in real time, not a reading of the store's
      // clock: a fake clock does not stop the writer from writing.
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || nudged_ || requested_ > completed_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&wake), options_.flush_interval);
      if (stopping_) return;
      nudged_ = false;
      target = requested_;
    }
    absl::Status status;
    {
      absl::MutexLock write_lock(&write_mu_);
      status = WriteAll(EncodeThreads::kCaller);
    }
    {
      absl::MutexLock lock(&mu_);
      if (!status.ok() && first_error_.ok()) first_error_ = status;
      if (target > completed_) completed_ = target;
    }
    // Off the logging path: commits leave the WAL alone and the writer
    // folds it into the store here. A failure loses nothing (the commits
    // are in the WAL) and the next round retries, so it is not reported.
    (void)backend_->Checkpoint();
  }
}

absl::Status Tracker::Flush() {
  // Synchronously: write everything now on the caller's thread. Simple,
  // and a flush never waits behind a sleeping writer.
  absl::Status status;
  {
    absl::MutexLock write_lock(&write_mu_);
    status = WriteAll(EncodeThreads::kAll);
  }
  absl::MutexLock lock(&mu_);
  absl::Status earlier = std::exchange(first_error_, absl::OkStatus());
  return !earlier.ok() ? earlier : status;
}

absl::Status Tracker::WriteAll(EncodeThreads threads) {
  for (const std::shared_ptr<RunImpl>& run : LiveRuns()) {
    if (absl::Status s = run->DrainInto(&unwritten_, threads); !s.ok()) {
      return s;
    }
  }
  if (!unwritten_.empty()) {
    // All or nothing: on failure the chunks stay in unwritten_ and the next
    // attempt retries them first, in order.
    if (absl::Status s = backend_->WriteChunks(unwritten_); !s.ok()) return s;
    unwritten_.clear();
  }
  return HeartbeatAndSweep();
}

absl::Status Tracker::HeartbeatAndSweep() {
  const int64_t now = NowMs();
  if (now - last_heartbeat_ms_ <
      absl::ToInt64Milliseconds(options_.heartbeat_interval)) {
    return absl::OkStatus();
  }
  std::vector<std::string> ids;
  for (const std::shared_ptr<RunImpl>& run : LiveRuns())
    ids.push_back(run->id());
  if (!ids.empty()) {
    if (absl::Status s = backend_->Heartbeat(ids, now); !s.ok()) return s;
  }
  last_heartbeat_ms_ = now;
  // Our own live runs were just heartbeaten, so only dead processes' runs
  // can be stale.
  return backend_
      ->MarkStaleRunsKilled(
          now - absl::ToInt64Milliseconds(options_.stale_run_timeout))
      .status();
}

absl::Status Tracker::SweepBeforeRead() {
  // Reads must show dead processes' runs as KILLED (and our own live runs
  // as alive), but a burst of reads should not each cost a write
  // transaction: sweep at most once a second of store time.
  constexpr int64_t kReadSweepIntervalMs = 1000;
  absl::MutexLock write_lock(&write_mu_);
  const int64_t now = NowMs();
  if (last_read_sweep_ms_ != 0 &&
      now - last_read_sweep_ms_ < kReadSweepIntervalMs) {
    return absl::OkStatus();
  }
  last_read_sweep_ms_ = now;
  last_heartbeat_ms_ = 0;  // heartbeat our own runs now, then sweep
  return HeartbeatAndSweep();
}

absl::StatusOr<ExperimentInfo> Tracker::CreateExperiment(
    std::string_view name,
    const std::vector<std::pair<std::string, std::string>>& tags) {
  if (absl::Status s = validate::ExperimentName(name); !s.ok()) return s;
  if (absl::Status s = validate::Tags(tags); !s.ok()) {
    return s;
  }
  return backend_->CreateExperiment(name, NowMs(), tags);
}

absl::StatusOr<ExperimentInfo> Tracker::GetExperiment(std::string_view name) {
  if (absl::Status s = validate::ExperimentName(name); !s.ok()) return s;
  return backend_->GetExperiment(name);
}

absl::StatusOr<std::vector<ExperimentInfo>> Tracker::ListExperiments() {
  return backend_->ListExperiments();
}

absl::StatusOr<std::shared_ptr<Run>> Tracker::StartRun(
    const StartRunOptions& options) {
  if (absl::Status s = validate::ExperimentName(options.experiment); !s.ok()) {
    return s;
  }
  if (!options.name.empty()) {
    if (absl::Status s = validate::RunName(options.name); !s.ok()) return s;
  }
  if (absl::Status s = validate::Params(options.params); !s.ok()) {
    return s;
  }
  if (absl::Status s = validate::Tags(options.tags); !s.ok()) {
    return s;
  }
  const int64_t now = NowMs();
  absl::StatusOr<ExperimentInfo> experiment =
      backend_->GetOrCreateExperiment(options.experiment, now);
  if (!experiment.ok()) return experiment.status();

  internal_storage::NewRun run;
  run.run_id = options_.env.id_source->NewId();
  run.experiment_id = experiment->experiment_id;
  run.name = options.name.empty() ? Cat("run-", run.run_id.substr(0, 8))
                                  : options.name;
  run.start_ms = now;
  run.parent_run_id = options.parent_run_id;
  run.user = options_.user.empty() ? DefaultUser() : options_.user;
  run.source = options.source;
  if (run.source.path.empty()) run.source.path = ProgramPath();
  if (run.source.git_commit.empty() && !run.source.path.empty()) {
    run.source.git_commit =
        FindGitCommit(*options_.env.file_system, run.source.path);
  }
  run.params = options.params;
  run.tags = options.tags;
  if (absl::Status s = backend_->CreateRun(run); !s.ok()) return s;

  auto handle = std::make_shared<RunImpl>(
      this, run.run_id, options_.env.clock,
      options_.durability == StoreOptions::Durability::kEveryCall);
  absl::MutexLock lock(&mu_);
  live_.push_back(handle);
  return std::shared_ptr<Run>(handle);
}

absl::StatusOr<RunInfo> Tracker::GetRun(std::string_view run_id) {
  if (absl::Status s = SweepBeforeRead(); !s.ok()) return s;
  return backend_->GetRun(run_id);
}

absl::StatusOr<std::vector<MetricSummary>> Tracker::GetMetricSummaries(
    std::string_view run_id) {
  if (absl::Status s = Flush(); !s.ok()) return s;
  return backend_->GetMetricSummaries(run_id);
}

absl::StatusOr<MetricHistory> Tracker::GetMetricHistory(
    std::string_view run_id, std::string_view key,
    const HistoryOptions& options) {
  if (absl::Status s = validate::MetricKey(key); !s.ok()) return s;
  if (absl::Status s = Flush(); !s.ok()) return s;
  absl::StatusOr<std::vector<internal_storage::StoredChunk>> chunks =
      backend_->ReadChunks(run_id, key, options.min_step, options.max_step);
  if (!chunks.ok()) return chunks.status();
  if (chunks->empty()) {
    // Distinguish "no such run" from "no such metric" from "none in range".
    absl::StatusOr<std::vector<MetricSummary>> summaries =
        backend_->GetMetricSummaries(run_id);
    if (!summaries.ok()) return summaries.status();
    bool known = false;
    for (const MetricSummary& m : *summaries) known = known || m.key == key;
    if (!known) {
      absl::StatusOr<RunInfo> run = backend_->GetRun(run_id);
      if (!run.ok()) return run.status();
      return MakeError(
          absl::StatusCode::kNotFound,
          Cat("run ", run_id, " has no metric ", QuoteForMessage(key)),
          ErrorDetail{"METRIC_NOT_FOUND",
                      "metric_history reads a logged metric", std::string(key),
                      "check the key, e.g. GetMetricSummaries() "
                      "lists the run's metrics"});
    }
    return MetricHistory{};
  }
  internal_codec::PointColumns points;
  for (const internal_storage::StoredChunk& c : *chunks) {
    if (absl::Status s = internal_codec::DecodeChunk(c.data, &points);
        !s.ok()) {
      return MakeError(s.code(),
                       Cat("metric ", QuoteForMessage(key), " of run ", run_id,
                           ", chunk ", c.seq, ": ", s.message()),
                       GetErrorDetail(s).value_or(ErrorDetail{}));
    }
  }
  MetricHistory history;
  const bool all = options.min_step == std::numeric_limits<int64_t>::min() &&
                   options.max_step == std::numeric_limits<int64_t>::max();
  if (all) {
    history.steps = std::move(points.steps);
    history.timestamps_ms = std::move(points.timestamps_ms);
    history.values = std::move(points.values);
  } else {
    for (size_t i = 0; i < points.size(); ++i) {
      const int64_t step = points.steps[i];
      if (step < options.min_step || step > options.max_step) continue;
      history.steps.push_back(step);
      history.timestamps_ms.push_back(points.timestamps_ms[i]);
      history.values.push_back(points.values[i]);
    }
  }
  Downsample(options.max_points, &history);
  return history;
}

absl::StatusOr<SearchRunsResult> Tracker::SearchRuns(
    const SearchRunsRequest& request) {
  if (request.max_results == 0 || request.max_results > kMaxSearchResults) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     Cat("max_results must be 1 to ", kMaxSearchResults,
                         ", not ", request.max_results),
                     ErrorDetail{"MAX_RESULTS_INVALID",
                                 "search_runs returns 1 to 50000 runs a page",
                                 Cat(request.max_results),
                                 "e.g. max_results=1000, then follow "
                                 "next_page_token"});
  }
  absl::StatusOr<internal_query::Filter> filter =
      internal_query::ParseFilter(request.filter);
  if (!filter.ok()) return filter.status();
  absl::StatusOr<std::vector<internal_query::OrderBy>> order_by =
      internal_query::ParseOrderBy(request.order_by);
  if (!order_by.ok()) return order_by.status();
  std::vector<int64_t> experiment_ids;
  std::vector<std::string> id_texts;
  for (const std::string& name : request.experiments) {
    absl::StatusOr<ExperimentInfo> e = GetExperiment(name);
    if (!e.ok()) return e.status();
    experiment_ids.push_back(e->experiment_id);
    id_texts.push_back(Cat(e->experiment_id));
  }
  const uint64_t fingerprint =
      internal_query::QueryFingerprint(id_texts, *filter, *order_by);
  absl::StatusOr<uint64_t> offset =
      internal_query::DecodePageToken(request.page_token, fingerprint);
  if (!offset.ok()) return offset.status();
  if (absl::Status s = SweepBeforeRead(); !s.ok()) return s;
  absl::StatusOr<internal_storage::RunPage> page = backend_->SearchRuns(
      experiment_ids, *filter, *order_by, request.max_results, *offset);
  if (!page.ok()) return page.status();
  SearchRunsResult result;
  result.runs = std::move(page->runs);
  if (page->next_offset) {
    result.next_page_token =
        internal_query::EncodePageToken(*page->next_offset, fingerprint);
  }
  return result;
}

}  // namespace slipway::internal_tracking
