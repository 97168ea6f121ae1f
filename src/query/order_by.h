// search_runs' order_by: a list of terms like "metrics.acc DESC",
// "params.lr" or "attributes.start_time ASC", parsed into sort keys.
//
//   term := entity [ ASC | DESC ]      (entity.h; ASC when omitted)
//
// Metrics sort by their last value. Storage adds its own final tie-break
// (run_id), so equal sort keys still page deterministically.
//
// Thread-safety: pure functions and plain values.
#ifndef SLIPWAY_SRC_QUERY_ORDER_BY_H_
#define SLIPWAY_SRC_QUERY_ORDER_BY_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/query/entity.h"

namespace slipway::internal_query {

inline constexpr size_t kMaxOrderByTerms = 100;
inline constexpr size_t kMaxOrderByTermLength = 1'000;  // characters

struct OrderBy {
  EntityRef entity;
  bool ascending = true;

  friend bool operator==(const OrderBy&, const OrderBy&) = default;
};

// Parses one term. Errors, all InvalidArgument naming the 1-based character
// position in the term (the term is the detail's value):
//   ORDER_BY_SYNTAX             not `entity [ASC|DESC]`: an unknown prefix,
//                               an empty term, a direction other than ASC or
//                               DESC, anything after the direction
//   ORDER_BY_UNKNOWN_ATTRIBUTE  attributes.<name> with an unknown name
//   ORDER_BY_TOO_COMPLEX        longer than kMaxOrderByTermLength characters
absl::StatusOr<OrderBy> ParseOrderByTerm(std::string_view term);

// Parses every term; messages say which (order_by[1] is the second). Errors:
// those of ParseOrderByTerm; ORDER_BY_SYNTAX when two terms name the same
// entity; ORDER_BY_TOO_COMPLEX for more than kMaxOrderByTerms terms.
absl::StatusOr<std::vector<OrderBy>> ParseOrderBy(
    std::span<const std::string> terms);

// The canonical text, "metrics.acc DESC" or "params.lr ASC", which
// ParseOrderByTerm turns back into an equal term.
std::string ToString(const OrderBy& term);

}  // namespace slipway::internal_query

#endif  // SLIPWAY_SRC_QUERY_ORDER_BY_H_
