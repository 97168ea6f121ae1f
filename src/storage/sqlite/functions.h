// SQL functions slipway registers on every SQLite connection it opens
// (Database::Open), for search (src/storage/sqlite/search_sql.h):
//
//   slipway_like(text, pattern)   MLflow's LIKE: case-sensitive
//   slipway_ilike(text, pattern)  MLflow's ILIKE: ASCII case-insensitive
//
// Why not SQLite's LIKE: it is ASCII case-insensitive by default, and the
// switch (`PRAGMA case_sensitive_like`) is deprecated and changes LIKE for
// the whole connection. Patterns follow filter.h: '%' matches any run of
// characters (none included), '_' exactly one character (one UTF-8 code
// point), everything else itself; there is no escape character (MLflow has
// none). ILIKE folds ASCII letters only, as MLflow's SQL stores do on
// SQLite (`lower()` is ASCII-only there): 'É' and 'é' differ.
//
// Both are deterministic and innocuous (no side effects), so SQLite may
// evaluate them anywhere; NULL in either argument gives NULL.
//
// Thread-safety: LikeMatch is a pure function. RegisterSqlFunctions must run
// while no other thread uses `db`.
#ifndef SLIPWAY_SRC_STORAGE_SQLITE_FUNCTIONS_H_
#define SLIPWAY_SRC_STORAGE_SQLITE_FUNCTIONS_H_

#include <string_view>

struct sqlite3;

namespace slipway::internal_storage {

// Returns whether `text` matches the LIKE `pattern` (see the header
// comment); with `ignore_ascii_case`, A-Z match a-z. Linear in practice;
// O(|text| * |pattern|) at worst (no exponential backtracking).
bool LikeMatch(std::string_view text, std::string_view pattern,
               bool ignore_ascii_case);

// Registers slipway_like and slipway_ilike on `db`. Returns SQLite's result
// code (SQLITE_OK = 0 on success).
int RegisterSqlFunctions(sqlite3* db);

}  // namespace slipway::internal_storage

#endif  // SLIPWAY_SRC_STORAGE_SQLITE_FUNCTIONS_H_
