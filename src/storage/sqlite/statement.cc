#include "src/storage/sqlite/statement.h"

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/storage/sortable_double.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/errors.h"

namespace slipway::internal_storage {
namespace {

using internal_strings::Cat;

std::string QuoteSql(std::string_view sql) { return QuoteForMessage(sql, 120); }

}  // namespace

Statement::Statement(Database* db, CachedStatement* entry)
    : db_(db), entry_(entry) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      entry_(other.entry_),
      bind_error_(std::move(other.bind_error_)) {
  other.entry_ = nullptr;
}

Statement::~Statement() {
  if (entry_ != nullptr) db_->Release(entry_);
}

std::string_view Statement::sql() const {
  const char* text = sqlite3_sql(entry_->stmt);
  return text == nullptr ? std::string_view() : std::string_view(text);
}

void Statement::RememberBindResult(int rc, int index, std::string_view what) {
  if (rc == SQLITE_OK || !bind_error_.ok()) return;
  bind_error_ = SqliteError(
      db_->db_, rc,
      Cat("bind of ", what, " to parameter ", index, " of ", QuoteSql(sql())),
      db_->path());
}

void Statement::BindInt64(int index, int64_t value) {
  RememberBindResult(sqlite3_bind_int64(entry_->stmt, index, value), index,
                     "an integer");
}

void Statement::BindDouble(int index, double value) {
  if (std::isnan(value)) {
    if (bind_error_.ok()) {
      const std::string fix =
          "Bind values that may be NaN with BindSortableDouble (an 8-byte "
          "BLOB column).";
      bind_error_ = MakeError(
          absl::StatusCode::kInternal,
          Cat("slipway bug: NaN bound as a REAL to parameter ", index, " of ",
              QuoteSql(sql()), " on store ", QuoteForMessage(db_->path()),
              "; SQLite would store NULL. ", fix),
          ErrorDetail{.reason = "STORE_NAN_AS_REAL",
                      .rule = "SQLite REAL cannot hold NaN",
                      .value = std::string(sql()),
                      .fix = fix});
    }
    return;
  }
  RememberBindResult(sqlite3_bind_double(entry_->stmt, index, value), index,
                     "a double");
}

void Statement::BindSortableDouble(int index, double value) {
  const std::string bytes = EncodeSortableDouble(value);
  RememberBindResult(
      sqlite3_bind_blob(entry_->stmt, index, bytes.data(),
                        static_cast<int>(bytes.size()), SQLITE_TRANSIENT),
      index, "a sortable double");
}

void Statement::BindText(int index, std::string_view value) {
  RememberBindResult(
      sqlite3_bind_text64(entry_->stmt, index, value.data(), value.size(),
                          SQLITE_TRANSIENT, SQLITE_UTF8),
      index, "text");
}

void Statement::BindBlob(int index, std::string_view value) {
  // A null data pointer would bind NULL; a zero-length BLOB needs non-null.
  static const char kEmpty = 0;
  RememberBindResult(
      sqlite3_bind_blob64(entry_->stmt, index,
                          value.data() != nullptr ? value.data() : &kEmpty,
                          value.size(), SQLITE_TRANSIENT),
      index, "a blob");
}

void Statement::BindNull(int index) {
  RememberBindResult(sqlite3_bind_null(entry_->stmt, index), index, "NULL");
}

absl::StatusOr<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  const int rc = sqlite3_step(entry_->stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (IsBusy(rc)) db_->step_was_busy_ = true;
  absl::Status status =
      SqliteError(db_->db_, rc, Cat("step of ", QuoteSql(sql())), db_->path());
  sqlite3_reset(entry_->stmt);
  return status;
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void Statement::Reset() {
  sqlite3_reset(entry_->stmt);
  sqlite3_clear_bindings(entry_->stmt);
  bind_error_ = absl::OkStatus();
}

int Statement::ColumnCount() const {
  return sqlite3_column_count(entry_->stmt);
}

ColumnType Statement::TypeOf(int column) const {
  switch (sqlite3_column_type(entry_->stmt, column)) {
    case SQLITE_INTEGER:
      return ColumnType::kInteger;
    case SQLITE_FLOAT:
      return ColumnType::kFloat;
    case SQLITE_TEXT:
      return ColumnType::kText;
    case SQLITE_BLOB:
      return ColumnType::kBlob;
    default:
      return ColumnType::kNull;
  }
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(entry_->stmt, column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(entry_->stmt, column);
}

double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(entry_->stmt, column);
}

std::string_view Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(entry_->stmt, column);
  if (text == nullptr) return {};
  return std::string_view(
      reinterpret_cast<const char*>(text),
      static_cast<size_t>(sqlite3_column_bytes(entry_->stmt, column)));
}

std::string_view Statement::ColumnBlob(int column) const {
  const void* data = sqlite3_column_blob(entry_->stmt, column);
  if (data == nullptr) return {};
  return std::string_view(
      static_cast<const char*>(data),
      static_cast<size_t>(sqlite3_column_bytes(entry_->stmt, column)));
}

absl::StatusOr<double> Statement::ColumnSortableDouble(int column) const {
  std::optional<double> value;
  if (TypeOf(column) == ColumnType::kBlob) {
    value = DecodeSortableDouble(ColumnBlob(column));
  }
  if (value.has_value()) return *value;
  const char* name = sqlite3_column_name(entry_->stmt, column);
  const std::string fix =
      "The store was changed outside slipway or is damaged: restore it from "
      "a backup, or run `sqlite3 <path> \"PRAGMA integrity_check\"`.";
  return MakeError(
      absl::StatusCode::kDataLoss,
      Cat("column ", QuoteForMessage(name == nullptr ? "?" : name), " of ",
          QuoteSql(sql()), " on store ", QuoteForMessage(db_->path()),
          " should hold an 8-byte encoded double but holds ",
          TypeOf(column) == ColumnType::kBlob
              ? Cat("a ", ColumnBlob(column).size(), "-byte BLOB")
              : std::string("another type"),
          ". ", fix),
      ErrorDetail{.reason = "STORE_CORRUPT",
                  .rule = "sortable doubles are 8-byte BLOBs "
                          "(docs/storage.md)",
                  .value = db_->path(),
                  .fix = fix});
}

}  // namespace slipway::internal_storage
