// Compiles a search_runs request (src/query Filter and OrderBy terms) to one
// SQLite SELECT over the schema of migration 1, with every key and value as
// a bound parameter: the SQL text is assembled only from fixed fragments of
// this file and `?N` placeholders, so nothing a user writes can change the
// shape of the query (design 0002 "Search").
//
// Semantics (docs/search.md; MLflow's where it has one):
//   - metrics.<key> compares the summary's last value. A run without the
//     metric does not match; a NaN last value matches no comparison; -0.0
//     equals +0.0.
//   - params./tags.<key> compare the stored string (byte order). A run
//     without the key does not match, whatever the operator (`!=` and
//     `NOT IN` included). LIKE is case-sensitive, ILIKE ASCII
//     case-insensitive (functions.h).
//   - attributes: status (the stored status; the tracking layer marks stale
//     runs KILLED before searching), run_name, run_id, user and
//     experiment_id (as decimal text) compare as strings; start_time and
//     end_time as numbers (a run without an end time matches no end_time
//     comparison).
//   - Logic is two-valued: every comparison is true or false (never SQL
//     NULL), so `not X` matches exactly the runs `X` does not.
//   - Order: each order_by term, then start time descending, then run id
//     (a total order, so pages never overlap). Metrics sort by last value
//     with NaN after every number and runs without the metric last, in
//     either direction; params and tags by string, missing last; end_time
//     with running runs last.
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_SEARCH_SQL_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_SEARCH_SQL_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"

namespace slipway::internal_storage {

// A double bound in the sortable BLOB encoding (BindSortableDouble).
struct SortableArg {
  double value = 0;
  friend bool operator==(const SortableArg&, const SortableArg&) = default;
};

// One bound parameter: an integer, a REAL, UTF-8 text, or a sortable double.
using SqlArg = std::variant<int64_t, double, std::string, SortableArg>;

// The query: `args[i]` binds to `?{i+1}`.
struct CompiledSearch {
  std::string sql;
  std::vector<SqlArg> args;
};

// The columns of each result row, in order (read by the backend).
enum SearchColumn {
  kColRunId,
  kColName,
  kColExperimentId,
  kColStatus,
  kColStartMs,
  kColEndMs,
  kColParentRunId,
  kColUser,
  kColSourcePath,
  kColSourceCommit,
};

// Returns the SELECT for runs of `experiment_ids` (all when empty; deleted
// runs never) matching `filter`, ordered as the header says, `limit` rows
// from `offset`. Errors: InvalidArgument FILTER_TYPE for a comparison the
// grammar would not have produced (an operator or value of the wrong kind
// for its entity: a hand-built AST), and for an empty And/Or or a Not
// without operand.
absl::StatusOr<CompiledSearch> CompileSearchRuns(
    std::span<const int64_t> experiment_ids,
    const internal_query::Filter& filter,
    std::span<const internal_query::OrderBy> order_by, size_t limit,
    uint64_t offset);

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_SEARCH_SQL_H_
