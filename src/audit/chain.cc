#include "src/audit/chain.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "src/audit/audit_record.h"
#include "src/errors/strings.h"
#include "src/storage/audit_backend.h"

namespace slipway::internal_audit {
namespace {

using internal_storage::AuditAnchor;
using internal_storage::AuditBackend;
using internal_storage::AuditQuery;
using internal_strings::Cat;

ChainBreak Break(int64_t seq, ChainBreakKind kind, std::string why) {
  return ChainBreak{.seq = seq, .kind = kind, .why = std::move(why)};
}

// Explains a record whose prev_hash is not the hash of the record before it.
absl::StatusOr<ChainBreak> ExplainBadLink(AuditBackend& backend,
                                          const AuditRecord& record,
                                          std::string_view expected_prev) {
  absl::StatusOr<std::optional<int64_t>> holder =
      backend.FindAuditHash(record.prev_hash);
  if (!holder.ok()) return holder.status();
  if (holder->has_value() && **holder != record.seq - 1) {
    return Break(record.seq, ChainBreakKind::kReordered,
                 Cat("its prev_hash is the hash of the record now stored at "
                     "seq ",
                     **holder, ", not of seq ", record.seq - 1,
                     ": records were moved or swapped"));
  }
  absl::StatusOr<std::string> own = ExpectedHash(record);
  if (!own.ok()) return own.status();
  if (*own != record.hash) {
    return Break(record.seq, ChainBreakKind::kEdited,
                 Cat("its prev_hash ", record.prev_hash,
                     " is not the previous record's hash ", expected_prev,
                     ", and its content does not match its hash: the record "
                     "was edited"));
  }
  return Break(record.seq, ChainBreakKind::kDeleted,
               Cat("its prev_hash ", record.prev_hash,
                   " matches no record in the log (expected ", expected_prev,
                   "): the record it followed was deleted or replaced"));
}

}  // namespace

std::string_view ChainBreakKindName(ChainBreakKind kind) {
  switch (kind) {
    case ChainBreakKind::kEdited:
      return "edited";
    case ChainBreakKind::kDeleted:
      return "deleted";
    case ChainBreakKind::kReordered:
      return "reordered";
    case ChainBreakKind::kAnchorMismatch:
      return "anchor mismatch";
  }
  return "edited";
}

absl::StatusOr<ChainReport> CheckChain(AuditBackend& backend,
                                       size_t page_size) {
  if (page_size == 0) page_size = 1000;
  absl::StatusOr<AuditAnchor> anchor = backend.ReadAuditAnchor();
  if (!anchor.ok()) return anchor.status();
  ChainReport report;
  report.anchor_count = anchor->count;
  if (!anchor->present) {
    report.first_break = Break(
        1, ChainBreakKind::kAnchorMismatch,
        "the audit_anchor row is missing (deleted outside slipway), so the "
        "log's length and newest hash cannot be checked");
    return report;
  }

  int64_t expected_seq = 1;
  std::string prev_hash(kAuditGenesisHash);
  while (expected_seq <= anchor->count) {
    AuditQuery query;
    query.min_seq = expected_seq;
    query.max_seq = anchor->count;
    query.limit = page_size;
    absl::StatusOr<std::vector<AuditRecord>> page = backend.ReadAudit(query);
    if (!page.ok()) return page.status();
    for (const AuditRecord& record : *page) {
      if (record.seq != expected_seq) {
        report.first_break = Break(
            expected_seq, ChainBreakKind::kDeleted,
            record.seq == expected_seq + 1
                ? Cat("record ", expected_seq, " is missing")
                : Cat("records ", expected_seq, " to ", record.seq - 1,
                      " are missing"));
        return report;
      }
      if (record.prev_hash != prev_hash) {
        absl::StatusOr<ChainBreak> why =
            ExplainBadLink(backend, record, prev_hash);
        if (!why.ok()) return why.status();
        report.first_break = *std::move(why);
        return report;
      }
      absl::StatusOr<std::string> hash = ExpectedHash(record);
      if (!hash.ok()) return hash.status();
      if (*hash != record.hash) {
        report.first_break = Break(
            record.seq, ChainBreakKind::kEdited,
            Cat("its content does not match its hash (stored ", record.hash,
                ", content hashes to ", *hash, "): the record was edited"));
        return report;
      }
      prev_hash = record.hash;
      ++expected_seq;
      ++report.records_checked;
    }
    if (page->size() < page_size) break;
  }
  if (expected_seq <= anchor->count) {
    report.first_break = Break(
        expected_seq, ChainBreakKind::kDeleted,
        Cat("the anchor counts ", anchor->count, " records but ",
            expected_seq == anchor->count
                ? Cat("the newest, ", expected_seq, ", is")
                : Cat("the newest, ", expected_seq, " to ", anchor->count,
                      ", are"),
            " missing: the newest records were deleted"));
    return report;
  }
  if (anchor->count > 0 && prev_hash != anchor->head_hash) {
    report.first_break = Break(
        anchor->count, ChainBreakKind::kAnchorMismatch,
        Cat("the anchor's head hash ", anchor->head_hash,
            " is not the hash of the newest record, ", anchor->count, " (",
            prev_hash, ")"));
    return report;
  }
  if (anchor->max_stored_seq > anchor->count) {
    report.first_break = Break(
        anchor->count + 1, ChainBreakKind::kAnchorMismatch,
        Cat("records up to seq ", anchor->max_stored_seq,
            " exist beyond the anchor's count ", anchor->count,
            ": they were appended outside slipway, or the anchor was rolled "
            "back"));
    return report;
  }
  return report;
}

absl::Status ChainBrokenError(const ChainBreak& broken) {
  const std::string fix =
      "The audit log was changed outside slipway. Keep the store as it is for "
      "investigation, compare it with a backup or an earlier export, and "
      "restore the store from a backup taken before the change "
      "(docs/audit.md, \"When verification fails\").";
  return MakeError(
      absl::StatusCode::kDataLoss,
      Cat("audit chain broken at seq ", broken.seq, " (",
          ChainBreakKindName(broken.kind), "): ", broken.why, ". ", fix),
      ErrorDetail{.reason = "AUDIT_CHAIN_BROKEN",
                  .rule = "SPEC §6: audit records are append-only and each "
                          "carries the hash of the one before "
                          "(hash = SHA-256(prev_hash ‖ canonical JSON))",
                  .value = Cat(broken.seq),
                  .fix = fix});
}

absl::Status VerifyChain(AuditBackend& backend) {
  absl::StatusOr<ChainReport> report = CheckChain(backend);
  if (!report.ok()) return report.status();
  if (report->first_break.has_value()) {
    return ChainBrokenError(*report->first_break);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> WriteJsonLines(AuditBackend& backend,
                                       std::ostream& out,
                                       std::optional<int64_t> since_ms) {
  constexpr size_t kPage = 1000;
  int64_t written = 0;
  int64_t next_seq = 1;
  while (true) {
    AuditQuery query;
    query.min_seq = next_seq;
    query.since_ms = since_ms;
    query.limit = kPage;
    absl::StatusOr<std::vector<AuditRecord>> page = backend.ReadAudit(query);
    if (!page.ok()) return page.status();
    for (const AuditRecord& record : *page) {
      out << JsonLine(record) << '\n';
      next_seq = record.seq + 1;
      ++written;
    }
    if (!out) {
      const std::string fix =
          "Check that the destination is writable and the disk is not full.";
      return MakeError(absl::StatusCode::kInternal,
                       Cat("writing the audit log export failed after ",
                           written, " records. ", fix),
                       ErrorDetail{.reason = "IO_ERROR",
                                   .rule = "the export stream must accept "
                                           "every line",
                                   .value = Cat(written),
                                   .fix = fix});
    }
    if (page->size() < kPage) return written;
  }
}

}  // namespace slipway::internal_audit
