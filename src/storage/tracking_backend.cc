#include "src/storage/tracking_backend.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/env.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/sqlite_tracking_backend.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

constexpr std::string_view kSqliteScheme = "sqlite://";
constexpr char kUriRule[] =
    "a store URI is a file path, sqlite:///abs/path, sqlite://rel/path or "
    ":memory:";

absl::Status UriInvalid(std::string_view uri, std::string_view why) {
  const std::string fix =
      "Use a file path such as \"/data/slipway.db\" (or "
      "\"sqlite:////data/slipway.db\"), \"sqlite://slipway.db\" for a path "
      "relative to the working directory, or \":memory:\".";
  return MakeError(absl::StatusCode::kInvalidArgument,
                   Cat("store URI ", QuoteForMessage(uri), " ", why, ". ", fix),
                   ErrorDetail{.reason = "STORE_URI_INVALID",
                               .rule = kUriRule,
                               .value = std::string(uri),
                               .fix = fix});
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<StoreLocation> ParseStoreUri(std::string_view uri) {
  if (uri.empty()) return UriInvalid(uri, "is empty");
  if (uri == Database::kMemory) {
    return StoreLocation{StoreLocation::Kind::kSqliteMemory,
                         std::string(Database::kMemory)};
  }
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    // A plain file path, taken as is (SQLite does not interpret it either:
    // paths are never file: URIs).
    return StoreLocation{StoreLocation::Kind::kSqliteFile, std::string(uri)};
  }
  if (StartsWithIgnoreCase(uri, kSqliteScheme)) {
    // sqlite:///abs → "/abs"; sqlite://rel → "rel" (SQLAlchemy's spelling,
    // which MLflow users know).
    const std::string_view path = uri.substr(kSqliteScheme.size());
    if (path.empty() || path == "/") {
      return UriInvalid(uri, "names no database file");
    }
    if (path == Database::kMemory) {
      return StoreLocation{StoreLocation::Kind::kSqliteMemory,
                           std::string(Database::kMemory)};
    }
    return StoreLocation{StoreLocation::Kind::kSqliteFile, std::string(path)};
  }
  if (StartsWithIgnoreCase(uri, "postgresql://") ||
      StartsWithIgnoreCase(uri, "postgres://")) {
    const std::string fix =
        "Use an SQLite store for now: a file path such as "
        "\"/data/slipway.db\".";
    // The URI may carry a password: the message shows the scheme only.
    return MakeError(
        absl::StatusCode::kUnimplemented,
        Cat("PostgreSQL support arrives in a later release (store URI "
            "scheme \"",
            uri.substr(0, scheme_end), "://\"). ", fix),
        ErrorDetail{.reason = "STORE_BACKEND_UNAVAILABLE",
                    .rule = "this release stores in SQLite only",
                    .value = std::string(uri.substr(0, scheme_end + 3)),
                    .fix = fix});
  }
  return UriInvalid(
      uri, Cat("has the unknown scheme \"", uri.substr(0, scheme_end), "://\""));
}

absl::StatusOr<std::unique_ptr<TrackingBackend>> OpenTrackingBackend(
    std::string_view uri, const BackendOptions& options, Clock* clock) {
  absl::StatusOr<StoreLocation> location = ParseStoreUri(uri);
  if (!location.ok()) return location.status();
  // A missing directory is left to SQLite, whose CANTOPEN/ENOENT maps to
  // NotFound FILE_NOT_FOUND ("its directory must exist"): no file system
  // access here outside the Env seam, and no directory is created.
  DatabaseOptions db_options;
  db_options.full_sync = options.full_sync;
  db_options.busy_deadline = options.busy_deadline;
  db_options.background_checkpoints = options.background_checkpoints;
  absl::StatusOr<std::unique_ptr<SqliteTrackingBackend>> backend =
      SqliteTrackingBackend::Open(location->path, db_options, clock);
  if (!backend.ok()) return backend.status();
  return std::unique_ptr<TrackingBackend>(*std::move(backend));
}

}  // namespace slipway::internal_storage
