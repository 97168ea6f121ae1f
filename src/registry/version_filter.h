// search_model_versions filters: the search grammar of docs/search.md
// (src/query), evaluated against model versions in memory.
//
// A version filter names:
//   tags.<key>             the version's tags (strings)
//   attributes.name        the model (alias attributes.model)
//   attributes.version     the canonical version, e.g. '2.4.1'
//   attributes.approval    None, PendingApproval, Approved, Rejected
//   attributes.run_id      the source run ('' when none)
//   attributes.user        who registered it
//   attributes.created     registration time, ms since the epoch (numbers)
// with = != LIKE ILIKE IN and NOT IN on strings and = != < <= > >= on
// `created`. A missing tag compares as no value: only `!=` and NOT IN hold.
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_REGISTRY_VERSION_FILTER_H_
#define SLIPWAY_SRC_REGISTRY_VERSION_FILTER_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "slipway/registry.h"
#include "src/query/filter.h"

namespace slipway::internal_registry {

// Parses `text` and checks that it names only what versions have:
// InvalidArgument FILTER_SYNTAX (and the other ParseFilter reasons), or
// FILTER_TYPE for metrics, params, run-only attributes or an operator that
// does not fit the value.
absl::StatusOr<internal_query::Filter> ParseVersionFilter(std::string_view text);

// Whether `version` matches `filter` (from ParseVersionFilter).
bool MatchesVersionFilter(const internal_query::Filter& filter,
                          const ModelVersionInfo& version);

}  // namespace slipway::internal_registry

#endif  // SLIPWAY_SRC_REGISTRY_VERSION_FILTER_H_
