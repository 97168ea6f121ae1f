// AuditBackend: the audit module's view of a store (docs/design/0003,
// decisions 2 and 3), as whole operations on plain records: append one audit
// record to the hash chain, read records and the chain's anchor, and get,
// set or clear the store's emergency stop flag. Each call is one
// transaction; no SQL or SQLite type crosses this interface, so a PostgreSQL
// backend can implement it without touching src/audit.
//
// The backend never computes hashes. Appending hands the record, with its
// seq and prev_hash filled in under the write lock, to a caller-supplied
// `seal` callback (src/audit computes the canonical bytes and SHA-256), so
// the chain's format lives in one place and storage needs no crypto library.
//
// Thread-safety: implementations are thread-safe.
#ifndef SLIPWAY_SRC_STORAGE_AUDIT_BACKEND_H_
#define SLIPWAY_SRC_STORAGE_AUDIT_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace slipway::internal_storage {

// SPEC §6 outcome of an audited operation.
enum class AuditOutcome { kSuccess, kFailure, kDenied };

// Returns "success", "failure" or "denied" (the spelling stored and
// exported).
constexpr std::string_view AuditOutcomeName(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::kSuccess:
      return "success";
    case AuditOutcome::kFailure:
      return "failure";
    case AuditOutcome::kDenied:
      return "denied";
  }
  return "failure";
}

// The prev_hash of the first record: 64 zeros (hex of 32 zero bytes).
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// One audit record: the SPEC §6 fields, two more that say why an operation
// was refused or failed, and the chain fields. All text is UTF-8 (src/audit
// replaces invalid bytes before a record is sealed); an empty string means
// "not applicable". docs/audit.md describes every field.
struct AuditRecord {
  // Position in the chain: 1, 2, 3, ... without gaps. Set by AppendAudit.
  int64_t seq = 0;
  // When the operation started, Unix milliseconds UTC (exported as RFC 3339).
  int64_t timestamp_ms = 0;
  std::string agent;
  std::string user;
  std::string environment;
  std::string command;
  std::string resource_type;
  std::string resource_name;
  std::string action;
  std::string model_name;
  std::string model_version;
  std::string previous_version;
  std::string change_ticket;
  AuditOutcome outcome = AuditOutcome::kSuccess;
  std::string rollback_config;
  int64_t duration_ms = 0;
  // Beyond SPEC §6: the ErrorDetail reason and message of a refused or
  // failed operation (or of a warning on a successful one); empty otherwise.
  std::string reason;
  std::string message;
  // The hash of record seq - 1 (kAuditGenesisHash for seq 1), and this
  // record's own hash; 64 lowercase hex digits each. Set by AppendAudit.
  std::string prev_hash;
  std::string hash;

  friend bool operator==(const AuditRecord&, const AuditRecord&) = default;
};

// The chain's anchor, kept beside the records and updated in the same
// transaction as every append: how many records were appended and the hash
// of the newest. Deleting the newest records leaves the anchor ahead of
// them, which Verify reports.
struct AuditAnchor {
  int64_t count = 0;
  std::string head_hash{kAuditGenesisHash};
  // Read with the anchor, in the same snapshot: whether the anchor row
  // exists at all (a store where it was deleted reads count 0), and the
  // largest seq stored (0 when there are no records).
  bool present = true;
  int64_t max_stored_seq = 0;
};

// Which records ReadAuditRecords returns: seq in [min_seq, max_seq], and
// with timestamp_ms >= since_ms when set, in seq order, at most `limit`.
struct AuditQuery {
  int64_t min_seq = 1;
  int64_t max_seq = std::numeric_limits<int64_t>::max();
  std::optional<int64_t> since_ms;
  size_t limit = 1000;
};

// The emergency stop flag as kept in the store (SPEC §5: a row every
// machine sharing the store sees).
struct StopFlag {
  // Who set it and why (free text), and when (Unix milliseconds UTC).
  std::string actor;
  std::string reason;
  int64_t set_ms = 0;

  friend bool operator==(const StopFlag&, const StopFlag&) = default;
};

class AuditBackend {
 public:
  virtual ~AuditBackend() = default;

  // Seals a record about to be appended: called inside the write
  // transaction with `record.seq` and `record.prev_hash` set; must set
  // `record.hash`. It may run more than once per append (a busy store
  // re-runs the transaction), so it must have no other effects. An error it
  // returns aborts the append and is returned unchanged.
  using Seal = absl::FunctionRef<absl::Status(AuditRecord& record)>;

  // Appends `record` as the next link of the chain, in one write
  // transaction (BEGIN IMMEDIATE, so appends from several processes build
  // one chain): reads the anchor, sets seq = anchor.count + 1 and prev_hash
  // = anchor.head_hash, calls `seal`, inserts the record and advances the
  // anchor. The seq, prev_hash and hash given are ignored. Returns the
  // record as stored.
  //
  // Errors: DataLoss AUDIT_CHAIN_BROKEN when the anchor row is missing or a
  // record already holds the next seq (the store was edited outside
  // slipway; nothing is written); whatever `seal` returns; the store's
  // errors (Unavailable STORE_BUSY, ResourceExhausted DISK_FULL,
  // PermissionDenied STORE_READ_ONLY, FailedPrecondition STORE_FORKED, ...).
  virtual absl::StatusOr<AuditRecord> AppendAudit(AuditRecord record,
                                                  Seal seal) = 0;

  // Returns the records matching `query`, in seq order, as stored (no
  // hashes are checked here). Errors: the store's; DataLoss STORE_CORRUPT
  // for an outcome spelling the schema does not allow.
  virtual absl::StatusOr<std::vector<AuditRecord>> ReadAudit(
      const AuditQuery& query) = 0;

  // Returns the anchor and the largest stored seq, from one snapshot.
  // Errors: the store's.
  virtual absl::StatusOr<AuditAnchor> ReadAuditAnchor() = 0;

  // Returns the seq of a record whose stored hash is `hash`, or nullopt.
  // A full scan: Verify uses it only to explain a break it already found.
  virtual absl::StatusOr<std::optional<int64_t>> FindAuditHash(
      std::string_view hash) = 0;

  // Returns the store's stop flag, or nullopt when it is clear.
  virtual absl::StatusOr<std::optional<StopFlag>> GetStopFlag() = 0;

  // Sets the store's stop flag, replacing one already set. Errors: the
  // store's.
  virtual absl::Status SetStopFlag(const StopFlag& flag) = 0;

  // Clears the store's stop flag; returns the flag that was set, or nullopt
  // if none was. Errors: the store's.
  virtual absl::StatusOr<std::optional<StopFlag>> ClearStopFlag() = 0;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_AUDIT_BACKEND_H_
