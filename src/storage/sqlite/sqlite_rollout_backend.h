// RolloutBackend on SQLite (src/storage/rollout_backend.h): every method one
// transaction on a Database it does not own (shared with the Store's other
// backends). Schema: migration 4 (rollout_schema.cc).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_ROLLOUT_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_ROLLOUT_BACKEND_H_

#include "src/storage/rollout_backend.h"
#include "src/storage/sqlite/database.h"

namespace slipway::internal_storage {

class SqliteRolloutBackend final : public RolloutBackend {
 public:
  // `db` must outlive the backend and have migrations applied.
  explicit SqliteRolloutBackend(Database* db) : db_(db) {}

  absl::Status CreateEndpoint(const EndpointRecord& endpoint) override;
  absl::StatusOr<EndpointRecord> GetEndpoint(std::string_view name) override;
  absl::StatusOr<std::vector<EndpointRecord>> ListEndpoints() override;
  absl::Status SetEndpointAlertRules(std::string_view name,
                                     const std::vector<AlertRule>& rules,
                                     int64_t updated_ms) override;
  absl::Status SetEndpointStableVersion(std::string_view name,
                                        std::string_view version,
                                        int64_t updated_ms) override;
  absl::Status DeleteEndpoint(std::string_view name) override;
  absl::StatusOr<RoutingSnapshot> GetRouting(std::string_view endpoint) override;

  absl::Status CreatePipeline(const PipelineRecord& pipeline) override;
  absl::StatusOr<PipelineRecord> GetPipeline(std::string_view name) override;
  absl::Status AddPipelineRun(const PipelineRunRecord& run) override;
  absl::StatusOr<std::optional<PipelineRunRecord>> LastPipelineRun(
      std::string_view pipeline) override;
  absl::Status CreateFeature(const FeatureRecord& feature) override;
  absl::Status UpdateFeature(const FeatureRecord& feature) override;
  absl::StatusOr<FeatureRecord> GetFeature(std::string_view name) override;

  absl::Status CreateRollout(const RolloutRecord& rollout,
                             const TransitionRecord& first,
                             const RoutingSnapshot& routing,
                             const AuditAppend* audit) override;
  absl::StatusOr<RolloutRecord> GetRollout(std::string_view id) override;
  absl::StatusOr<std::vector<RolloutRecord>> ListRollouts(
      std::string_view endpoint, bool active_only) override;
  absl::Status ApplyTransition(const RolloutRecord& updated,
                               int64_t expected_revision,
                               const TransitionRecord& transition,
                               const std::optional<RoutingSnapshot>& routing,
                               const AuditAppend* audit) override;
  absl::StatusOr<std::vector<TransitionRecord>> ListTransitions(
      std::string_view rollout_id) override;
  absl::StatusOr<int> ConsecutiveFailedRollouts(
      std::string_view endpoint) override;

  absl::Status PutWindows(const std::vector<WindowRecord>& windows) override;
  absl::StatusOr<std::vector<WindowRecord>> ReadWindows(
      std::string_view endpoint, std::string_view version, int64_t from_ms,
      int64_t to_ms) override;
  absl::Status PutDriftReference(const DriftReferenceRecord& reference,
                                 const AuditAppend* audit) override;
  absl::StatusOr<std::vector<DriftReferenceRecord>> ListDriftReferences(
      std::string_view endpoint) override;
  absl::Status PutFeatureSamples(
      const std::vector<FeatureSampleRecord>& samples) override;
  absl::StatusOr<std::vector<FeatureSampleRecord>> ReadFeatureSamples(
      std::string_view endpoint, std::string_view version,
      std::string_view feature, int64_t from_ms, int64_t to_ms) override;

 private:
  Database* const db_;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_ROLLOUT_BACKEND_H_
