// Verifying the audit chain and exporting it (SPEC §6, design 0003
// decision 2).
//
// CheckChain walks every record up to the anchor's count in seq order and
// stops at the first break:
//
//   kind               when
//   kDeleted           a seq is missing (a gap), the newest records are
//                      missing (the anchor counts more), or a record's
//                      prev_hash matches no record (the one it followed is
//                      gone) while its own content is intact
//   kReordered         a record's prev_hash is the hash of a record stored
//                      at another seq than the one before it (rows were
//                      swapped or moved)
//   kEdited            a record's content does not match its hash
//   kAnchorMismatch    the anchor row is missing, its head hash is not the
//                      last record's hash, or records exist beyond its
//                      count (appended outside slipway, or the anchor was
//                      rolled back)
//
// Tamper-evident, not tamper-proof: someone who can write the store can
// recompute every later hash and the anchor and so forge a valid chain.
// docs/audit.md says what this does and does not promise.
//
// Thread-safety: thread-safe (each read is one snapshot of the store).
// Appends that land while a check runs are outside the anchor it read and
// are not checked (the next check sees them).
#ifndef SLIPWAY_SRC_AUDIT_CHAIN_H_
#define SLIPWAY_SRC_AUDIT_CHAIN_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/storage/audit_backend.h"

namespace slipway::internal_audit {

enum class ChainBreakKind { kEdited, kDeleted, kReordered, kAnchorMismatch };

// Returns "edited", "deleted", "reordered" or "anchor mismatch".
std::string_view ChainBreakKindName(ChainBreakKind kind);

// The first bad link: which seq, what kind of damage, and an explanation
// for people.
struct ChainBreak {
  int64_t seq = 0;
  ChainBreakKind kind = ChainBreakKind::kEdited;
  std::string why;
};

struct ChainReport {
  // Records whose link and hash were checked and found good.
  int64_t records_checked = 0;
  // The anchor's count when the check started.
  int64_t anchor_count = 0;
  std::optional<ChainBreak> first_break;
};

// Walks the chain (header comment), reading `page_size` records per read
// transaction. Errors: the store's (a break is a report, not an error);
// Internal SHA256_UNAVAILABLE.
absl::StatusOr<ChainReport> CheckChain(internal_storage::AuditBackend& backend,
                                       size_t page_size = 1000);

// CheckChain as a status: OK, or DataLoss AUDIT_CHAIN_BROKEN whose detail
// `value` is the first bad seq in decimal and whose message says why.
absl::Status VerifyChain(internal_storage::AuditBackend& backend);

// The DataLoss AUDIT_CHAIN_BROKEN status for `broken`.
absl::Status ChainBrokenError(const ChainBreak& broken);

// Writes the records with timestamp_ms >= `since_ms` (all when unset) to
// `out`, one JSON line each, in seq order; returns how many. Errors: the
// store's; Internal IO_ERROR when the stream fails.
absl::StatusOr<int64_t> WriteJsonLines(internal_storage::AuditBackend& backend,
                                       std::ostream& out,
                                       std::optional<int64_t> since_ms);

}  // namespace slipway::internal_audit

#endif  // SLIPWAY_SRC_AUDIT_CHAIN_H_
