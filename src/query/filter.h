// The search_runs filter: MLflow's grammar plus `or`, `not` and
// parentheses, parsed into a plain AST that src/storage compiles to SQL with
// every value bound as a parameter. docs/search.md is the user's reference.
//
//   filter     := [ or_expr ]                      (empty: every run)
//   or_expr    := and_expr { OR and_expr }
//   and_expr   := unary { AND unary }
//   unary      := NOT unary | '(' or_expr ')' | comparison
//   comparison := entity op value                  (entity.h)
//
// Keywords are ASCII case-insensitive; NOT binds tighter than AND, AND
// tighter than OR. Metrics (last value), start_time and end_time compare
// with numbers (= != < <= > >=); params, tags and the other attributes with
// quoted strings (= != LIKE ILIKE) or lists of them (IN, NOT IN).
//
// The AST only ever holds values (keys, strings, numbers), never SQL text;
// nothing in it can change the shape of the query storage builds.
//
// Thread-safety: pure functions and plain values.
#ifndef SLIPWAY_SRC_QUERY_FILTER_H_
#define SLIPWAY_SRC_QUERY_FILTER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "src/query/entity.h"

namespace slipway::internal_query {

// Limits on a filter. Past them ParseFilter returns InvalidArgument
// FILTER_TOO_COMPLEX, checked before any deep recursion, so no input can
// overflow the stack. With the default length, the comparison limit is a
// backstop: the shortest comparison plus a separator (`tag.a=''or `) is 11
// characters, so 10,000 characters hold at most 909.
struct FilterLimits {
  size_t max_length = 10'000;      // characters (code points)
  size_t max_depth = 100;          // nested '(' and NOT
  size_t max_comparisons = 1'000;  // comparisons in the whole filter
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kILike, kIn, kNotIn };

// "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN".
std::string_view ToString(CompareOp op);

// The right-hand side: a number (metrics, start_time, end_time), a string
// (=, !=, LIKE, ILIKE on strings; LIKE patterns are passed on verbatim, '%'
// any run of characters and '_' any one) or a non-empty list of strings
// (IN, NOT IN). Numbers are finite doubles.
using Value = std::variant<double, std::string, std::vector<std::string>>;

// One `entity op value`.
struct Comparison {
  EntityRef entity;
  CompareOp op = CompareOp::kEq;
  Value value;

  friend bool operator==(const Comparison&, const Comparison&) = default;
};

struct Expr;

// All children hold (at least two, as parsed). Parenthesised groups are
// kept as written: `a and (b and c)` is And{a, And{b, c}}.
struct And {
  std::vector<Expr> children;
  friend bool operator==(const And&, const And&);
};

// At least one child holds (at least two, as parsed).
struct Or {
  std::vector<Expr> children;
  friend bool operator==(const Or&, const Or&);
};

// The operand does not hold. `operand` is never null in a parsed filter.
struct Not {
  Not() = default;
  explicit Not(Expr operand);
  Not(const Not& other);
  Not& operator=(const Not& other);
  Not(Not&&) noexcept = default;
  Not& operator=(Not&&) noexcept = default;
  ~Not();

  std::unique_ptr<Expr> operand;
  friend bool operator==(const Not&, const Not&);
};

// A node of the filter. Visit with std::visit over `node`.
struct Expr {
  std::variant<Comparison, And, Or, Not> node;
  friend bool operator==(const Expr&, const Expr&) = default;
};

// A parsed filter; no expression means every run matches.
struct Filter {
  std::optional<Expr> expr;
  friend bool operator==(const Filter&, const Filter&) = default;
};

// Parses `text`. Empty or all-blank text is the empty filter. Errors, all
// InvalidArgument with the 1-based character position in the message and
// the whole filter as the detail's value:
//   FILTER_SYNTAX             not the grammar above: an unknown prefix, a
//                             missing operator or value, an unquoted string,
//                             an unterminated quote, an unbalanced
//                             parenthesis, a stray character (';', '--',
//                             '/*'), a malformed or out-of-range number,
//                             text that is not UTF-8
//   FILTER_TYPE               an operator or value of the wrong kind for the
//                             entity (metrics.acc = 'x', params.lr > 1,
//                             metrics.acc LIKE '%', tags.t IN ...numbers)
//   FILTER_UNKNOWN_ATTRIBUTE  attributes.<name> with an unknown name
//   FILTER_TOO_COMPLEX        past one of `limits` (FilterLimits)
absl::StatusOr<Filter> ParseFilter(std::string_view text,
                                   const FilterLimits& limits = {});

// The canonical text of a filter, which ParseFilter turns back into an equal
// filter: canonical prefixes, keys bare or backquoted, strings in single
// quotes (a quote doubled), numbers in their shortest round-trip form,
// lowercase `and`/`or`/`not`, uppercase LIKE/ILIKE/IN/NOT IN, single spaces,
// and parentheses exactly where a compound operand needs them. The empty
// filter is "".
std::string ToString(const Filter& filter);
std::string ToString(const Expr& expr);
std::string ToString(const Comparison& comparison);

}  // namespace slipway::internal_query

#endif  // SLIPWAY_SRC_QUERY_FILTER_H_
