// Two shapes every backend method repeats inside a transaction: run one
// statement for its effect, or visit the rows of one query. The SQL is a
// constant of the caller; `bind` binds its parameters.
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_STATEMENT_HELPERS_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_STATEMENT_HELPERS_H_

#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/storage/sqlite/database.h"
#include "src/storage/sqlite/statement.h"

namespace slipway::internal_storage {

// Prepares `sql`, binds it and runs it to completion.
inline absl::Status Exec(Transaction& tx, std::string_view sql,
                         absl::FunctionRef<void(Statement&)> bind) {
  absl::StatusOr<Statement> st = tx.Prepare(sql);
  if (!st.ok()) return st.status();
  bind(*st);
  return st->Run();
}

// Prepares `sql`, binds it and calls `row` for every result row; stops at
// the first error (its own or `row`'s).
inline absl::Status ForEachRow(
    Transaction& tx, std::string_view sql,
    absl::FunctionRef<void(Statement&)> bind,
    absl::FunctionRef<absl::Status(Statement&)> row) {
  absl::StatusOr<Statement> st = tx.Prepare(sql);
  if (!st.ok()) return st.status();
  bind(*st);
  while (true) {
    absl::StatusOr<bool> has = st->Step();
    if (!has.ok()) return has.status();
    if (!*has) return absl::OkStatus();
    if (absl::Status s = row(*st); !s.ok()) return s;
  }
}

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_STATEMENT_HELPERS_H_
