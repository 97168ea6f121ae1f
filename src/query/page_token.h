// search_runs page tokens: opaque base64url text that carries the offset of
// the next page and ties it to the query that produced it.
//
// A token is 25 bytes, base64url without padding (34 characters): a format
// version, the offset, the query's fingerprint and a check value over the
// three. The check catches corrupted and edited tokens; it is not a secret
// (a token grants nothing: any page of any query can be asked for directly),
// so it is a checksum, not a MAC.
//
// Thread-safety: pure functions.
#ifndef SLIPWAY_SRC_QUERY_PAGE_TOKEN_H_
#define SLIPWAY_SRC_QUERY_PAGE_TOKEN_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"

namespace slipway::internal_query {

// Returns a fingerprint of a search: the experiment ids (as a set: order
// and repeats do not matter), the filter and the order_by terms, each in
// canonical form, so spelling differences (`AND` vs `and`, extra spaces,
// `metric.` vs `metrics.`) do not change it. Stable across processes,
// platforms and slipway versions that keep the token format.
uint64_t QueryFingerprint(std::span<const std::string> experiment_ids,
                          const Filter& filter,
                          std::span<const OrderBy> order_by);

// Returns the token for the page that starts at `offset` of the search with
// `query_fingerprint`.
std::string EncodePageToken(uint64_t offset, uint64_t query_fingerprint);

// Returns the offset carried by `token`, or 0 for the empty token (the
// first page). Errors, InvalidArgument with reason PAGE_TOKEN_INVALID: the
// token is not one EncodePageToken produced (not base64url, wrong length,
// unknown version, check value mismatch: corrupted or edited), or it was
// produced for a different search (another fingerprint: the filter,
// order_by or experiments changed between pages).
absl::StatusOr<uint64_t> DecodePageToken(std::string_view token,
                                         uint64_t query_fingerprint);

}  // namespace slipway::internal_query

#endif  // SLIPWAY_SRC_QUERY_PAGE_TOKEN_H_
