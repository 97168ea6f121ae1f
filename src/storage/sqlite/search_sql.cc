#include "src/storage/sqlite/search_sql.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "slipway/status.h"
#include "src/errors/strings.h"
#include "src/query/entity.h"
#include "src/query/filter.h"
#include "src/query/order_by.h"

namespace slipway::internal_storage {
namespace {

using internal_query::And;
using internal_query::Attribute;
using internal_query::CompareOp;
using internal_query::Comparison;
using internal_query::EntityKind;
using internal_query::Expr;
using internal_query::Not;
using internal_query::Or;
using internal_strings::Append;
using internal_strings::Cat;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Accumulates SQL text and its arguments. Values only ever enter through
// Arg(), which appends a numbered placeholder: the text holds none of them.
class Builder {
 public:
  void Sql(std::string_view fragment) { Append(&sql_, fragment); }
  // (One overload per type, constructing the variant in place: passing a
  // SqlArg by value trips GCC 12's -Wmaybe-uninitialized.)
  void Arg(int64_t value) { Add<int64_t>(value); }
  void Arg(double value) { Add<double>(value); }
  void Arg(const std::string& value) { Add<std::string>(value); }
  void Arg(SortableArg value) { Add<SortableArg>(value); }
  CompiledSearch Finish() && {
    return CompiledSearch{std::move(sql_), std::move(args_)};
  }

 private:
  template <typename T, typename V>
  void Add(const V& value) {
    args_.emplace_back(std::in_place_type<T>, value);
    Append(&sql_, "?", args_.size());
  }

  std::string sql_;
  std::vector<SqlArg> args_;
};

absl::Status BadFilter(const std::string& what) {
  return MakeError(
      absl::StatusCode::kInvalidArgument,
      Cat("the search filter cannot be compiled: ", what,
          ". Build filters with ParseFilter."),
      ErrorDetail{.reason = "FILTER_TYPE",
                  .rule = "filter comparisons follow docs/search.md",
                  .value = what,
                  .fix = "Build filters with ParseFilter."});
}

// The string-valued run column of an attribute, or "" if the attribute is
// not a string attribute.
std::string_view StringColumn(Attribute attribute) {
  switch (attribute) {
    case Attribute::kStatus: return "r.status";
    case Attribute::kRunName: return "r.name";
    case Attribute::kRunId: return "r.run_id";
    case Attribute::kUser: return "r.user";
    // Filters name experiments by their id as text (MLflow's ids are
    // strings); the decimal spelling of the integer id.
    case Attribute::kExperimentId: return "CAST(r.experiment_id AS TEXT)";
    default: return "";
  }
}

bool IsStringOp(CompareOp op) {
  return op == CompareOp::kEq || op == CompareOp::kNe ||
         op == CompareOp::kLike || op == CompareOp::kILike ||
         op == CompareOp::kIn || op == CompareOp::kNotIn;
}

bool IsNumericOp(CompareOp op) {
  return op == CompareOp::kEq || op == CompareOp::kNe ||
         op == CompareOp::kLt || op == CompareOp::kLe ||
         op == CompareOp::kGt || op == CompareOp::kGe;
}

// Appends `<column> <op> <value>` for a string comparison. The result is
// never NULL as long as `column` is not.
absl::Status AppendStringTest(Builder& b, std::string_view column,
                              const Comparison& c) {
  if (!IsStringOp(c.op)) {
    return BadFilter(Cat("operator ", internal_query::ToString(c.op),
                         " on a string entity"));
  }
  if (c.op == CompareOp::kIn || c.op == CompareOp::kNotIn) {
    const auto* list = std::get_if<std::vector<std::string>>(&c.value);
    if (list == nullptr || list->empty()) {
      return BadFilter("IN needs a non-empty list of strings");
    }
    b.Sql(column);
    b.Sql(c.op == CompareOp::kIn ? " IN (" : " NOT IN (");
    for (size_t i = 0; i < list->size(); ++i) {
      if (i > 0) b.Sql(", ");
      b.Arg((*list)[i]);
    }
    b.Sql(")");
    return absl::OkStatus();
  }
  const auto* text = std::get_if<std::string>(&c.value);
  if (text == nullptr) {
    return BadFilter(Cat("operator ", internal_query::ToString(c.op),
                         " needs a string value"));
  }
  switch (c.op) {
    case CompareOp::kEq:
    case CompareOp::kNe:
      b.Sql(column);
      b.Sql(c.op == CompareOp::kEq ? " = " : " != ");
      b.Arg(*text);
      break;
    default:  // LIKE, ILIKE: case rules of functions.h, not SQLite's LIKE.
      b.Sql(c.op == CompareOp::kLike ? "slipway_like(" : "slipway_ilike(");
      b.Sql(column);
      b.Sql(", ");
      b.Arg(*text);
      b.Sql(")");
      break;
  }
  return absl::OkStatus();
}

// Appends a test of the sortable last value `column` against `value`
// following IEEE rules: NaN matches nothing, -0.0 equals +0.0.
absl::Status AppendMetricTest(Builder& b, std::string_view column,
                              const Comparison& c) {
  const auto* number = std::get_if<double>(&c.value);
  if (number == nullptr || !IsNumericOp(c.op)) {
    return BadFilter("metrics compare with = != < <= > >= and a number");
  }
  // Zero spans two encodings (-0.0 just below +0.0): compare against the
  // pair. Any other number is one point.
  const double v = *number;
  const double low = v == 0 ? -0.0 : v;
  const double high = v == 0 ? 0.0 : v;
  // Excludes NaN (encoded outside [-Inf, +Inf]).
  b.Sql(column);
  b.Sql(" BETWEEN ");
  b.Arg(SortableArg{-kInf});
  b.Sql(" AND ");
  b.Arg(SortableArg{kInf});
  b.Sql(" AND ");
  b.Sql(column);
  switch (c.op) {
    case CompareOp::kEq:
    case CompareOp::kNe:
      b.Sql(c.op == CompareOp::kEq ? " BETWEEN " : " NOT BETWEEN ");
      b.Arg(SortableArg{low});
      b.Sql(" AND ");
      b.Arg(SortableArg{high});
      break;
    case CompareOp::kLt:
      b.Sql(" < ");
      b.Arg(SortableArg{low});
      break;
    case CompareOp::kLe:
      b.Sql(" <= ");
      b.Arg(SortableArg{high});
      break;
    case CompareOp::kGt:
      b.Sql(" > ");
      b.Arg(SortableArg{high});
      break;
    default:  // kGe
      b.Sql(" >= ");
      b.Arg(SortableArg{low});
      break;
  }
  return absl::OkStatus();
}

absl::Status AppendComparison(Builder& b, const Comparison& c) {
  switch (c.entity.kind) {
    case EntityKind::kMetric: {
      // A subquery over one key's summaries: the (key, last_value) index
      // turns it into a range scan.
      b.Sql("r.run_id IN (SELECT run_id FROM metric_summary WHERE key = ");
      b.Arg(c.entity.key);
      b.Sql(" AND ");
      if (absl::Status s = AppendMetricTest(b, "last_value", c); !s.ok()) {
        return s;
      }
      b.Sql(")");
      return absl::OkStatus();
    }
    case EntityKind::kParam:
    case EntityKind::kTag: {
      b.Sql(c.entity.kind == EntityKind::kParam
                ? "r.run_id IN (SELECT run_id FROM param WHERE key = "
                : "r.run_id IN (SELECT run_id FROM tag WHERE key = ");
      b.Arg(c.entity.key);
      b.Sql(" AND ");
      if (absl::Status s = AppendStringTest(b, "value", c); !s.ok()) return s;
      b.Sql(")");
      return absl::OkStatus();
    }
    case EntityKind::kAttribute:
      break;
  }
  if (c.entity.attribute == Attribute::kStartTime ||
      c.entity.attribute == Attribute::kEndTime) {
    const auto* number = std::get_if<double>(&c.value);
    if (number == nullptr || !IsNumericOp(c.op)) {
      return BadFilter(
          "start_time and end_time compare with = != < <= > >= and a number");
    }
    const bool end = c.entity.attribute == Attribute::kEndTime;
    // end_ms is NULL while a run is running: such a run matches no
    // end_time comparison (and the result stays 0/1, never NULL).
    b.Sql(end ? "(r.end_ms IS NOT NULL AND r.end_ms " : "(r.start_ms ");
    switch (c.op) {
      case CompareOp::kEq: b.Sql("= "); break;
      case CompareOp::kNe: b.Sql("!= "); break;
      case CompareOp::kLt: b.Sql("< "); break;
      case CompareOp::kLe: b.Sql("<= "); break;
      case CompareOp::kGt: b.Sql("> "); break;
      default: b.Sql(">= "); break;
    }
    b.Arg(*number);  // SQLite compares INTEGER with REAL numerically.
    b.Sql(")");
    return absl::OkStatus();
  }
  const std::string_view column = StringColumn(c.entity.attribute);
  if (column.empty()) {
    if (c.entity.attribute == Attribute::kModelName ||
        c.entity.attribute == Attribute::kVersion ||
        c.entity.attribute == Attribute::kApproval) {
      const std::string fix =
          "Runs have status, run_name, run_id, start_time, end_time, user "
          "and experiment_id (e.g. attributes.run_name = 'lr-0.01').";
      return MakeError(
          absl::StatusCode::kInvalidArgument,
          Cat("attributes.", c.entity.key,
              " belongs to model versions (search_model_versions), not runs. ",
              fix),
          ErrorDetail{.reason = "FILTER_UNKNOWN_ATTRIBUTE",
                      .rule = "run filters name run attributes",
                      .value = Cat("attributes.", c.entity.key),
                      .fix = fix});
    }
    return BadFilter(Cat("unknown attribute \"", c.entity.key, "\""));
  }
  b.Sql("(");
  if (absl::Status s = AppendStringTest(b, column, c); !s.ok()) return s;
  b.Sql(")");
  return absl::OkStatus();
}

absl::Status AppendExpr(Builder& b, const Expr& expr);

// Appends children[begin, end) joined by `joiner`, as a balanced tree of
// parentheses: SQLite limits expression depth (1,000), and a flat chain of
// a thousand ORs would be that deep; balanced, it is ~10.
absl::Status AppendJoined(Builder& b, const std::vector<Expr>& children,
                          size_t begin, size_t end, std::string_view joiner) {
  if (end - begin == 1) return AppendExpr(b, children[begin]);
  const size_t mid = begin + (end - begin) / 2;
  b.Sql("(");
  if (absl::Status s = AppendJoined(b, children, begin, mid, joiner); !s.ok()) {
    return s;
  }
  b.Sql(joiner);
  if (absl::Status s = AppendJoined(b, children, mid, end, joiner); !s.ok()) {
    return s;
  }
  b.Sql(")");
  return absl::OkStatus();
}

absl::Status AppendExpr(Builder& b, const Expr& expr) {
  if (const auto* c = std::get_if<Comparison>(&expr.node)) {
    return AppendComparison(b, *c);
  }
  if (const auto* a = std::get_if<And>(&expr.node)) {
    if (a->children.empty()) return BadFilter("an empty AND");
    return AppendJoined(b, a->children, 0, a->children.size(), " AND ");
  }
  if (const auto* o = std::get_if<Or>(&expr.node)) {
    if (o->children.empty()) return BadFilter("an empty OR");
    return AppendJoined(b, o->children, 0, o->children.size(), " OR ");
  }
  const auto& n = std::get<Not>(expr.node);
  if (n.operand == nullptr) return BadFilter("NOT without an operand");
  b.Sql("(NOT ");
  if (absl::Status s = AppendExpr(b, *n.operand); !s.ok()) return s;
  b.Sql(")");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CompiledSearch> CompileSearchRuns(
    std::span<const int64_t> experiment_ids,
    const internal_query::Filter& filter,
    std::span<const internal_query::OrderBy> order_by, size_t limit,
    uint64_t offset) {
  Builder b;
  b.Sql(
      "SELECT r.run_id, r.name, r.experiment_id, r.status, r.start_ms, "
      "r.end_ms, r.parent_run_id, r.user, r.source_path, r.source_commit "
      "FROM run AS r");
  // One LEFT JOIN per metric/param/tag sort key (by primary key: one row
  // at most per run), aliased o0, o1, ... by term position.
  std::string order;
  for (size_t i = 0; i < order_by.size(); ++i) {
    const internal_query::OrderBy& term = order_by[i];
    const std::string alias = Cat("o", i);
    const char* direction = term.ascending ? " ASC" : " DESC";
    if (!order.empty()) order += ", ";
    switch (term.entity.kind) {
      case EntityKind::kMetric:
      case EntityKind::kParam:
      case EntityKind::kTag: {
        const bool metric = term.entity.kind == EntityKind::kMetric;
        b.Sql(Cat(" LEFT JOIN ",
                  metric                                   ? "metric_summary"
                  : term.entity.kind == EntityKind::kParam ? "param"
                                                           : "tag",
                  " AS ", alias, " ON ", alias, ".run_id = r.run_id AND ",
                  alias, ".key = "));
        b.Arg(term.entity.key);
        const std::string column =
            Cat(alias, metric ? ".last_value" : ".value");
        // Missing last, in either direction.
        Append(&order, column, " IS NULL, ");
        if (metric) {
          // NaN after every number (and before missing), in either
          // direction: NaN's encodings lie outside [enc(-Inf), enc(+Inf)].
          // The bounds are literal BLOBs: constants of this file, not user
          // values (see EncodeSortableDouble: -Inf and +Inf).
          Append(&order, column,
                 " NOT BETWEEN x'000fffffffffffff' AND x'fff0000000000000', ");
        }
        Append(&order, column, direction);
        break;
      }
      case EntityKind::kAttribute:
        switch (term.entity.attribute) {
          case Attribute::kStartTime:
            Append(&order, "r.start_ms", direction);
            break;
          case Attribute::kEndTime:
            Append(&order, "r.end_ms IS NULL, r.end_ms", direction);
            break;
          case Attribute::kExperimentId:
            Append(&order, "r.experiment_id", direction);
            break;
          case Attribute::kStatus:
          case Attribute::kRunName:
          case Attribute::kRunId:
          case Attribute::kUser:
            Append(&order, StringColumn(term.entity.attribute), direction);
            break;
          default:
            return BadFilter(
                Cat("order_by on unknown attribute \"", term.entity.key, "\""));
        }
        break;
    }
  }
  b.Sql(" WHERE r.lifecycle = 'active'");
  if (!experiment_ids.empty()) {
    b.Sql(" AND r.experiment_id IN (");
    for (size_t i = 0; i < experiment_ids.size(); ++i) {
      if (i > 0) b.Sql(", ");
      b.Arg(experiment_ids[i]);
    }
    b.Sql(")");
  }
  if (filter.expr.has_value()) {
    b.Sql(" AND (");
    if (absl::Status s = AppendExpr(b, *filter.expr); !s.ok()) return s;
    b.Sql(")");
  }
  b.Sql(" ORDER BY ");
  if (!order.empty()) b.Sql(Cat(order, ", "));
  b.Sql("r.start_ms DESC, r.run_id ASC LIMIT ");
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  b.Arg(static_cast<int64_t>(std::min<uint64_t>(limit, kMax)));
  b.Sql(" OFFSET ");
  b.Arg(static_cast<int64_t>(std::min<uint64_t>(offset, kMax)));
  return std::move(b).Finish();
}

}  // namespace slipway::internal_storage
