// RegistryBackend on SQLite (src/storage/registry_backend.h): every method
// one transaction on a Database it does not own (the Store shares one
// connection between its backends). Schema: migration 3
// (registry_schema.cc).
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_REGISTRY_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_REGISTRY_BACKEND_H_

#include "src/storage/registry_backend.h"
#include "src/storage/sqlite/database.h"

namespace slipway::internal_storage {

class SqliteRegistryBackend final : public RegistryBackend {
 public:
  // `db` must outlive the backend and have migrations applied.
  explicit SqliteRegistryBackend(Database* db) : db_(db) {}

  absl::Status CreateModel(const RegisteredModel& model) override;
  absl::StatusOr<RegisteredModel> GetModel(std::string_view name) override;
  absl::StatusOr<std::vector<RegisteredModel>> ListModels() override;
  absl::Status UpdateModel(std::string_view name,
                           std::optional<std::string> description,
                           const KeyValueList& set_tags,
                           int64_t now_ms) override;
  absl::StatusOr<InsertedVersion> InsertVersion(
      const NewModelVersion& version) override;
  absl::StatusOr<ModelVersionInfo> GetVersion(std::string_view model,
                                              std::string_view version) override;
  absl::StatusOr<std::vector<ModelVersionInfo>> ListVersions(
      std::string_view model) override;
  absl::StatusOr<std::vector<ModelVersionInfo>> ListAllVersions() override;
  absl::StatusOr<std::vector<ModelVersionInfo>> VersionsOfRun(
      std::string_view run_id) override;
  absl::StatusOr<std::string> SetAlias(std::string_view model,
                                       std::string_view alias,
                                       std::string_view version,
                                       int64_t now_ms) override;
  absl::StatusOr<std::string> DeleteAlias(std::string_view model,
                                          std::string_view alias) override;
  absl::Status SetApproval(std::string_view model, std::string_view version,
                           const ApprovalEvent& event) override;
  absl::StatusOr<std::vector<ApprovalEvent>> ApprovalHistory(
      std::string_view model, std::string_view version) override;
  absl::Status AddValidation(const ValidationRecord& record) override;
  absl::StatusOr<std::vector<ValidationRecord>> ListValidations(
      std::string_view model, std::string_view version,
      std::string_view environment) override;
  absl::Status SetArchived(std::string_view model, std::string_view version,
                           bool archived) override;
  absl::Status DeleteVersion(std::string_view model,
                             std::string_view version) override;
  absl::Status RecordDeployment(std::string_view endpoint,
                                std::string_view model,
                                std::string_view version,
                                int64_t at_ms) override;
  absl::Status SetHold(std::string_view model, std::string_view version,
                       std::string_view holder,
                       std::string_view reason) override;
  absl::Status ReleaseHold(std::string_view model, std::string_view version,
                           std::string_view holder) override;
  absl::StatusOr<std::vector<VersionHold>> ProtectedVersions(
      std::string_view model, int recent_per_endpoint) override;

 private:
  Database* const db_;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_SQLITE_REGISTRY_BACKEND_H_
