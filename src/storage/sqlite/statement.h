// A prepared SQL statement borrowed from a connection's statement cache.
//
// Get one from Transaction::Prepare(sql) inside Database::RunInTransaction or
// RunReadTransaction. The cache is keyed by the exact SQL text, so write SQL
// as constants with `?` parameters and bind every value; never splice values
// into SQL text (STYLE.md). When the handle is destroyed the statement is
// reset, its bindings cleared, and it goes back to the cache.
//
// Binding: indices are 1-based (SQLite's `?1`, `?2`, ...). Bind calls do not
// return a status: the first failed bind is remembered and returned by the
// next Step() or Run(), so a run of binds reads as one block.
//
// Doubles: BindDouble stores a REAL, which cannot hold NaN (SQLite would
// store NULL, so BindDouble refuses NaN) and loses the sign of -0.0 on disk.
// Values that need every bit (metric summaries) use BindSortableDouble /
// ColumnSortableDouble, an 8-byte order-preserving BLOB
// (src/storage/sortable_double.h).
//
// Column getters: indices are 0-based (SQLite's convention); valid only after
// Step() returned true; text and blob views are valid until the next Step(),
// Reset() or the handle's destruction.
//
// Lifetime and thread-safety: a Statement must not outlive the transaction
// body it was prepared in, and is used by the thread running that body only.
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_STATEMENT_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_STATEMENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3_stmt;

namespace slipway::internal_storage {

class Database;
struct CachedStatement;

// The storage class of a column value in the current row.
enum class ColumnType { kInteger, kFloat, kText, kBlob, kNull };

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  void BindInt64(int index, int64_t value);
  // Refuses NaN (remembered as an Internal STORE_NAN_AS_REAL error): a REAL
  // column would hold NULL. Use BindSortableDouble for values that may be NaN.
  void BindDouble(int index, double value);
  // Binds the 8-byte sortable encoding of `value` as a BLOB; bit-exact.
  void BindSortableDouble(int index, double value);
  // Text must be UTF-8. The bytes are copied.
  void BindText(int index, std::string_view value);
  // The bytes are copied. An empty view binds a zero-length BLOB, not NULL.
  void BindBlob(int index, std::string_view value);
  void BindNull(int index);

  // Runs the statement to its next row. Returns true when a row is ready for
  // the column getters, false when the statement is done (Step again after
  // false restarts it). Errors: a remembered bind error; otherwise the
  // mapped SQLite error (src/storage/sqlite/errors.h), e.g. AlreadyExists
  // STORE_DUPLICATE_KEY, ResourceExhausted DISK_FULL, DataLoss STORE_CORRUPT.
  // (Runs inside a body, with the Database's mutex held; the analysis
  // cannot see that through the callback.)
  absl::StatusOr<bool> Step() ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Steps until done, ignoring any rows. Errors as Step().
  absl::Status Run();

  // Resets the statement and clears its bindings and any remembered bind
  // error, ready to bind and run again (e.g. the next row of a batch insert).
  void Reset();

  int ColumnCount() const;
  ColumnType TypeOf(int column) const;
  bool IsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  // NULL reads as an empty view.
  std::string_view ColumnText(int column) const;
  std::string_view ColumnBlob(int column) const;
  // Decodes a BindSortableDouble value. DataLoss STORE_CORRUPT when the
  // column is not an 8-byte BLOB (names the column and the store).
  absl::StatusOr<double> ColumnSortableDouble(int column) const;

  // The SQL text this statement was prepared from.
  std::string_view sql() const;

 private:
  friend class Database;
  Statement(Database* db, CachedStatement* entry);

  void RememberBindResult(int rc, int index, std::string_view what);

  Database* db_;
  CachedStatement* entry_;
  absl::Status bind_error_;
};

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_STATEMENT_H_
